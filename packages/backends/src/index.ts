export { prepareBackend, type PrepareBackendOptions, type PreparedBackend } from './prepare-backend.js';
export { BACKEND_NAMES, DEFAULT_BACKEND, isBackendName, type BackendName } from './names.js';
export { BackendError, isBackendError, type BackendErrorCode } from './errors.js';
export { ensureGradients } from './gradients.js';
export { registerBackendGradients } from './gradient-overrides.js';
export { findSwiftShaderIcd, SWIFTSHADER_ICD_CANDIDATES } from './swiftshader.js';
export { installWebGpu, type WebGpuAdapterReport } from './webgpu.js';
export type { ModuleImporter } from './importer.js';
export {
  registerWasmTrainingKernels, unregisterWasmTrainingKernels, WASM_TRAINING_KERNELS,
  type WasmTrainingKernelOptions, type Conv2dBackpropInputMode, type Conv2dBackpropFilterMode,
} from './kernels/register.js';
export { loadSimdKernels, simdStatusOf, type SimdStatus } from './kernels/simd/module.js';
