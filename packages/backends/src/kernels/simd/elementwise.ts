import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';

/** sign(x) in one SIMD pass (NaN and ±0 give 0, as cpu); undefined without the module or for non-float32. */
export function signSimd(backend: object, x: TensorInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  if (simd === undefined || x.dtype !== 'float32') return undefined;
  const out = simd.allocate(x.shape.slice());
  simd.exports.sign(simd.offsetOf(x), simd.offsetOf(out), util.sizeFromShape(x.shape));
  return out;
}

/**
 * ClipByValue's gradient, dy where lo ≤ x ≤ hi and 0 elsewhere, in one SIMD pass; undefined without
 * the module, for non-float32 or for x and dy of different shapes.
 */
export function clipByValueGradSimd(
  backend: object, x: TensorInfo, dy: TensorInfo, lo: number, hi: number): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  if (simd === undefined || x.dtype !== 'float32' || dy.dtype !== 'float32' || !util.arraysEqual(x.shape, dy.shape)) {
    return undefined;
  }
  const out = simd.allocate(x.shape.slice());
  simd.exports.clipByValueGrad(simd.offsetOf(x), simd.offsetOf(dy), simd.offsetOf(out), util.sizeFromShape(x.shape), lo, hi);
  return out;
}

/** Relu's gradient dy · step(x) in one SIMD pass; undefined without the module, for non-float32 or unequal shapes. */
export function reluGradSimd(backend: object, x: TensorInfo, dy: TensorInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  if (simd === undefined || x.dtype !== 'float32' || dy.dtype !== 'float32' || !util.arraysEqual(x.shape, dy.shape)) {
    return undefined;
  }
  const out = simd.allocate(x.shape.slice());
  simd.exports.reluGrad(simd.offsetOf(x), simd.offsetOf(dy), simd.offsetOf(out), util.sizeFromShape(x.shape));
  return out;
}
