import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';
import { splitRange, workersFor } from './pool.js';

/**
 * dW by the SIMD module, reading x and dy where they lie (no transposes, no weight packing).
 * Undefined where it does not apply (module not loaded, C_out not a multiple of 4, an empty axis,
 * not float32): the caller then uses the XNNPACK composition.
 */
export function conv2dFilterGradSimd(
  backend: object, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  if (simd === undefined || co % 4 !== 0 || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  if (n * h * w * ci * oh * ow * co === 0) return undefined;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const dw = simd.allocate([kh, kw, ci, co]);
  // Units of (tap, input-channel pair): each thread owns whole rows of dw, so no partial sums.
  const units = kh * kw * Math.ceil(ci / 2);
  const parts = workersFor(simd.threads, n * oh * ow * kh * kw * ci * co);
  const [px, pdy, pdw] = [simd.offsetOf(x), simd.offsetOf(dy), simd.offsetOf(dw)];
  simd.parallel('conv2dFilterGrad', splitRange(units, parts).map(([u0, u1]) =>
    [px, pdy, pdw, n, h, w, ci, oh, ow, co, kh, kw, sh, sw, padInfo.top, padInfo.left, u0, u1]));
  return dw;
}
