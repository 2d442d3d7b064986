/** Names accepted by `prepareBackend`. 'gpu' picks the best GPU backend available. */
export const BACKEND_NAMES = ['wasm', 'cpu', 'webgpu', 'webgl', 'tensorflow', 'gpu'] as const;
/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backend the examples use when none is named: wasm (fast on CPUs, runs everywhere). */
export const DEFAULT_BACKEND: BackendName = 'wasm';

/** Whether `value` is one of {@link BACKEND_NAMES}. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/** Exact install commands, quoted in error messages. */
export const INSTALL = {
  wasm: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0',
  cpu: 'npm install @tensorflow/tfjs-backend-cpu@4.22.0',
  webgpuNode: 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2',
  webgpu: 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0',
  webgl: 'npm install @tensorflow/tfjs-backend-webgl@4.22.0',
  tensorflowGpu: 'npm install @tensorflow/tfjs-node-gpu@4.22.0',
  tensorflowCpu: 'npm install @tensorflow/tfjs-node@4.22.0',
} as const;
