// AssemblyScript source of advtrain's WebAssembly SIMD kernels, compiled by scripts/build-wasm.mjs into
// src/kernels/simd/module.wasm.ts. The module imports tfjs-backend-wasm's memory, so every pointer is a
// byte offset into the tensors that backend already holds; the module owns no memory and never allocates.
// Layouts are NHWC, conv filters [kh, kw, C_in, C_out]. The TypeScript callers in src/kernels/simd check
// shapes and dtypes before calling.

export { conv2dFilterGrad } from './conv2d-filter-grad';
export { conv2dGather, fillZero, padImages } from './conv2d-forward';
export { conv2dInputGradScatter, cropImages, transposeFilter } from './conv2d-input-grad';
export { clipByValueGrad, reluGrad, sign } from './elementwise';
export { maxPoolGrad } from './max-pool-grad';
export { randomUniform, scaledAdd, signStep, sumOfSquares } from './delta-updates';
export { binaryMiddle, binaryPerRow } from './broadcast';
export { randomNormal } from './random-normal';
