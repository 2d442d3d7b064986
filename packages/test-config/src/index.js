// Vitest projects, one per tfjs backend. Every package's vitest.config.ts
// re-exports `backendConfig()`, so the same test files run on each backend and
// the project name ("cpu", "wasm", "webgpu") prefixes every result.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/**
 * Backends to run: TFJS_BACKENDS=cpu,wasm,wasm-threads,webgpu (default cpu,wasm). 'wasm' runs one
 * thread per test process (vitest already runs a process per core); 'wasm-threads' runs the same tests on
 * the threaded wasm build with two threads, one test file at a time.
 */
export function selectedBackends() {
  return (process.env.TFJS_BACKENDS ?? 'cpu,wasm').split(',').map((s) => s.trim()).filter(Boolean);
}

const SETUP = { cpu: 'setup-cpu.js', wasm: 'setup-wasm.js', 'wasm-threads': 'setup-wasm.js', webgpu: 'setup-webgpu.js' };
/** The tfjs backend each project runs on, and its wasm threads. */
const ENV = {
  cpu: { ADVTRAIN_TEST_BACKEND: 'cpu' },
  wasm: { ADVTRAIN_TEST_BACKEND: 'wasm', ADVTRAIN_TEST_WASM_THREADS: '1' },
  'wasm-threads': { ADVTRAIN_TEST_BACKEND: 'wasm', ADVTRAIN_TEST_WASM_THREADS: '2' },
  webgpu: { ADVTRAIN_TEST_BACKEND: 'webgpu' },
};

/**
 * @param {{ webgpuInclude?: string[], include?: string[], testTimeout?: number }} [options]
 *   webgpuInclude: the fast subset that runs on software WebGPU.
 */
export function backendConfig(options = {}) {
  const include = options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'];
  const projects = selectedBackends().map((backend) => {
    if (!SETUP[backend]) throw new Error(`@advtrain/test-config: unknown backend "${backend}" in TFJS_BACKENDS; use cpu, wasm, wasm-threads or webgpu.`);
    return {
      extends: true,
      test: {
        name: backend,
        include: backend === 'webgpu' ? options.webgpuInclude ?? [] : include,
        setupFiles: [here(`./${SETUP[backend]}`)],
        env: ENV[backend],
        // SwiftShader runs WebGPU on the CPU, one shader at a time: allow it time on a busy machine.
        ...(backend === 'webgpu' ? { testTimeout: 300_000 } : {}),
      },
    };
  }).filter((p) => p.test.include.length > 0);
  // Threaded processes side by side would ask for more cores than the machine has.
  const threaded = selectedBackends().includes('wasm-threads');
  return defineConfig({
    test: {
      ...(threaded ? { fileParallelism: false } : {}),
      testTimeout: options.testTimeout ?? 120_000,
      hookTimeout: 120_000,
      passWithNoTests: true,
      projects,
    },
  });
}

export default backendConfig();
