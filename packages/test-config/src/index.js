// Vitest projects, one per tfjs backend. Every package's vitest.config.ts
// re-exports `backendConfig()`, so the same test files run on each backend and
// the project name ("cpu", "wasm", "webgpu") prefixes every result.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** Backends to run: TFJS_BACKENDS=cpu,wasm,webgpu (default cpu,wasm). */
export function selectedBackends() {
  return (process.env.TFJS_BACKENDS ?? 'cpu,wasm').split(',').map((s) => s.trim()).filter(Boolean);
}

const SETUP = { cpu: 'setup-cpu.js', wasm: 'setup-wasm.js', webgpu: 'setup-webgpu.js' };

/**
 * @param {{ webgpuInclude?: string[], include?: string[], testTimeout?: number }} [options]
 *   webgpuInclude: the fast subset that runs on software WebGPU.
 */
export function backendConfig(options = {}) {
  const include = options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'];
  const projects = selectedBackends().map((backend) => {
    if (!SETUP[backend]) throw new Error(`@advtrain/test-config: unknown backend "${backend}" in TFJS_BACKENDS; use cpu, wasm or webgpu.`);
    return {
      extends: true,
      test: {
        name: backend,
        include: backend === 'webgpu' ? options.webgpuInclude ?? [] : include,
        setupFiles: [here(`./${SETUP[backend]}`)],
        env: { ADVTRAIN_TEST_BACKEND: backend },
        // SwiftShader runs WebGPU on the CPU, one shader at a time: allow it time on a busy machine.
        ...(backend === 'webgpu' ? { testTimeout: 300_000 } : {}),
      },
    };
  }).filter((p) => p.test.include.length > 0);
  return defineConfig({
    test: {
      testTimeout: options.testTimeout ?? 120_000,
      hookTimeout: 120_000,
      passWithNoTests: true,
      projects,
    },
  });
}

export default backendConfig();
