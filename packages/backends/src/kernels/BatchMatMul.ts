import {
  BatchMatMul, Transpose,
  type BatchMatMulAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { matMulSimd } from './simd/conv2d-forward.js';
import { matMulTransposeASimd } from './simd/mat-mul-transpose-a.js';
import { matMulTransposeBSimd } from './simd/mat-mul-transpose-b.js';
import { simdKernelsOf } from './simd/module.js';
import { workersFor } from './simd/pool.js';
import { release, run, type WasmBackendLike } from './wasm-ops.js';

function swapLastTwo(backend: WasmBackendLike, x: TensorInfo): TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
  return run(backend, Transpose, { x }, { perm });
}

/** Whether A·B is worth the SIMD module's product: only where it splits over threads (on one, XNNPACK's is as fast or faster). */
function splitsOverThreads(backend: object, a: TensorInfo, b: TensorInfo): boolean {
  const threads = simdKernelsOf(backend)?.threads ?? 1;
  const n = b.shape[b.shape.length - 1]!;
  return threads > 1 && workersFor(threads, a.shape.reduce((p, d) => p * d, 1) * n) > 1;
}

/**
 * tfjs-backend-wasm 4.22 sends matMul with transposeA or transposeB (both used by every dense layer's
 * backward pass) to a naive scalar loop instead of XNNPACK's vectorised one. A native transpose first
 * costs one pass over the operand. Where the SIMD module applies, Aᵀ·B and A·Bᵀ run there without a transpose,
 * and with several threads A·B too.
 */
export function batchMatMulTransposeFirst(args: {
  inputs: { a?: TensorInfo; b?: TensorInfo };
  attrs: BatchMatMulAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const [ta, tb] = [attrs.transposeA, attrs.transposeB];
  if (!ta && !tb) {
    const simd = splitsOverThreads(backend, inputs.a!, inputs.b!) ? matMulSimd(backend, inputs.a!, inputs.b!) : undefined;
    return simd ?? run(backend, BatchMatMul, inputs as Record<string, TensorInfo>, attrs);
  }
  // Aᵀ·B (every dense layer's weight gradient) and A·Bᵀ (its input gradient) need no transpose in the SIMD module.
  const simd = ta && tb ? undefined : (ta ? matMulTransposeASimd : matMulTransposeBSimd)(backend, inputs.a!, inputs.b!);
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
