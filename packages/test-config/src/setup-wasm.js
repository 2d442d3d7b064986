import { useBackend } from './common.js';

await useBackend('wasm');
