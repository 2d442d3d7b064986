import { useBackend } from './common.js';

// 'wasm' runs one thread per test process, 'wasm-threads' two (see index.js).
await useBackend('wasm', { threads: Number(process.env.ADVTRAIN_TEST_WASM_THREADS ?? 1) });
