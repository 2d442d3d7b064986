import { defineConfig } from 'vitest/config';

// Every test runs twice: on the single-threaded wasm build and on the threaded one with two threads
// (test files read ADVTRAIN_TEST_WASM_THREADS through test-support/threads.ts). The threaded project runs
// one file at a time so that its threads do not compete with another file's.
const project = (name: string, threads: number) => ({
  extends: true as const,
  test: { name, env: { ADVTRAIN_TEST_WASM_THREADS: String(threads) }, ...(threads > 1 ? { fileParallelism: false } : {}) },
});

export default defineConfig({
  test: { testTimeout: 120000, include: ['src/**/*.test.ts'], projects: [project('wasm-1-thread', 1), project('wasm-2-threads', 2)] },
});
