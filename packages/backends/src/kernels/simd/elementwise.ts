import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf, type SimdExports } from './module.js';

/**
 * One elementwise SIMD pass over float32 inputs of one shape into a new tensor of that shape;
 * undefined without the module, for another dtype or for inputs of different shapes.
 */
function elementwise(backend: object, inputs: TensorInfo[],
  call: (exports: SimdExports, offsets: number[], out: number, size: number) => void): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const shape = inputs[0]!.shape;
  if (simd === undefined || inputs.some((t) => t.dtype !== 'float32' || !util.arraysEqual(t.shape, shape))) return undefined;
  const out = simd.allocate(shape.slice());
  call(simd.exports, inputs.map(simd.offsetOf), simd.offsetOf(out), util.sizeFromShape(shape));
  return out;
}

/** sign(x) in one SIMD pass (NaN and ±0 give 0, as cpu). */
export function signSimd(backend: object, x: TensorInfo): TensorInfo | undefined {
  return elementwise(backend, [x], (k, [px], out, size) => k.sign(px!, out, size));
}

/** ClipByValue's gradient, dy where lo ≤ x ≤ hi and 0 elsewhere, in one SIMD pass. */
export function clipByValueGradSimd(
  backend: object, x: TensorInfo, dy: TensorInfo, lo: number, hi: number): TensorInfo | undefined {
  return elementwise(backend, [x, dy], (k, [px, pdy], out, size) => k.clipByValueGrad(px!, pdy!, out, size, lo, hi));
}

/** Relu's gradient dy · step(x) in one SIMD pass. */
export function reluGradSimd(backend: object, x: TensorInfo, dy: TensorInfo): TensorInfo | undefined {
  return elementwise(backend, [x, dy], (k, [px, pdy], out, size) => k.reluGrad(px!, pdy!, out, size));
}
