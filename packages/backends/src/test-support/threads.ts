/** The wasm threads this test project runs (vitest.config.ts sets ADVTRAIN_TEST_WASM_THREADS). */
export const TEST_THREADS = Number(process.env['ADVTRAIN_TEST_WASM_THREADS'] ?? 1);
