import {
  BatchMatMul, Transpose,
  type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { matMulSimd } from './simd/conv2d-forward.js';
import { matMulTransposeASimd } from './simd/mat-mul-transpose-a.js';
import { release, run, type WasmBackendLike } from './wasm-ops.js';

function swapLastTwo(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return run(backend, Transpose, { x }, { perm });
}

/**
 * tfjs-backend-wasm 4.22 sends matMul with transposeA or transposeB (both used by every dense layer's
 * backward pass) to a naive scalar loop instead of a vectorised one. Aᵀ·B (a dense layer's weight gradient)
 * runs on the SIMD module as it lies; otherwise a transposed operand is transposed natively first (one pass
 * over it) and A·B runs on the SIMD module's gathered kernel, split over its threads, or on XNNPACK where that
 * does not apply. The gathered kernel sums each value in XNNPACK's order; unlike XNNPACK it needs no packed copy
 * of B, which in training is new at every step.
 */
export function batchMatMulTransposeFirst(args: {
  inputs: { a?: TensorInfo; b?: TensorInfo };
  attrs: BatchMatMulAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  if (attrs.transposeA && !attrs.transposeB) {
    const simd = matMulTransposeASimd(backend, inputs.a!, inputs.b!);
    if (simd !== undefined) return simd;
  }
  const a = attrs.transposeA ? swapLastTwo(backend, inputs.a!) : inputs.a!;
  const b = attrs.transposeB ? swapLastTwo(backend, inputs.b!) : inputs.b!;
  const out = matMulSimd(backend, a, b) ?? run(backend, BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
  if (a !== inputs.a) release(backend, a);
  if (b !== inputs.b) release(backend, b);
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulTransposeFirst as unknown as KernelFunc,
};
