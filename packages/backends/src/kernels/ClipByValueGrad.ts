import {
  Abs, ClipByValue, Multiply, Step, Sub, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { clipByValueGradSimd } from './simd/elementwise.js';
import { release, run, scalarInfo, type WasmBackendLike } from './wasm-ops.js';

/** Our kernel name for ClipByValue's gradient (inputs x and dy; attrs clipValueMin, clipValueMax). */
export const CLIP_BY_VALUE_GRAD = 'AdvtrainClipByValueGrad';

interface ClipGradArgs {
  inputs: { x?: TensorInfo; dy?: TensorInfo };
  attrs: { clipValueMin: number; clipValueMax: number };
  backend: WasmBackendLike;
}

/**
 * dy where lo ≤ x ≤ hi, else 0. tfjs builds that mask from GreaterEqual, LessEqual, LogicalAnd and
 * Select, four scalar loops on wasm, each writing an intermediate tensor. Our SIMD module does it in one
 * vectorised pass; without it the mask is 1 − step(|x − clip(x)|) in XNNPACK ops, exact at the
 * boundaries.
 */
function clipByValueGrad(args: ClipGradArgs): TensorInfo {
  const { inputs, attrs, backend } = args;
  return clipByValueGradSimd(backend, inputs.x!, inputs.dy!, attrs.clipValueMin, attrs.clipValueMax)
    ?? clipByValueGradViaMask(args);
}

/** The mask 1 − step(|x − clip(x)|) times dy, in XNNPACK kernels (without our SIMD module). */
export function clipByValueGradViaMask(args: ClipGradArgs): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const { clipValueMin: lo, clipValueMax: hi } = attrs;
  const clipped = run(backend, ClipByValue, { x }, { clipValueMin: lo, clipValueMax: hi });
  const moved = run(backend, Sub, { a: x, b: clipped });
  const size = run(backend, Abs, { x: moved });
  const outside = run(backend, Step, { x: size }, { alpha: 0 });
  const one = scalarInfo(backend, 1);
  const inside = run(backend, Sub, { a: one, b: outside });
  const out = run(backend, Multiply, { a: dy, b: inside });
  release(backend, clipped, moved, size, outside, one, inside);
  return out;
}

export const clipByValueGradConfig: KernelConfig = {
  kernelName: CLIP_BY_VALUE_GRAD,
  backendName: 'wasm',
  kernelFunc: clipByValueGrad as unknown as KernelFunc,
};
