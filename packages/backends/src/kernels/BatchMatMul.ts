import {
  BatchMatMul, Transpose,
  type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
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
 * backward pass) to a naive scalar loop instead of XNNPACK's vectorised one. A native transpose first
 * costs one pass over the operand.
 */
export function batchMatMulTransposeFirst(args: {
  inputs: { a?: TensorInfo; b?: TensorInfo };
  attrs: BatchMatMulAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  if (!attrs.transposeA && !attrs.transposeB) return run(backend, BatchMatMul, inputs as Record<string, TensorInfo>, attrs);
  // Aᵀ·B (every dense layer's weight gradient) needs no transpose in the SIMD module.
  const simd = attrs.transposeA && !attrs.transposeB ? matMulTransposeASimd(backend, inputs.a!, inputs.b!) : undefined;
  if (simd !== undefined) return simd;
  const a = attrs.transposeA ? swapLastTwo(backend, inputs.a!) : inputs.a!;
  const b = attrs.transposeB ? swapLastTwo(backend, inputs.b!) : inputs.b!;
  const out = run(backend, BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
  if (a !== inputs.a) release(backend, a);
  if (b !== inputs.b) release(backend, b);
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulTransposeFirst as unknown as KernelFunc,
};
