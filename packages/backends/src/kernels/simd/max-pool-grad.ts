import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';

/**
 * MaxPool's gradient by the SIMD module: dy to the first position of each window (row-major) equal to
 * the forward output, overlapping windows summed, as tfjs-backend-cpu. Undefined where it does not
 * apply (module not loaded, C not a multiple of 4, dilated windows, an empty axis, not float32).
 */
export function maxPoolGradSimd(
  backend: object, dy: TensorInfo, input: TensorInfo, output: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  if (simd === undefined || c % 4 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  if ([dy, input, output].some((t) => t.dtype !== 'float32') || n * h * w * c * oh * ow === 0) return undefined;
  const dx = simd.allocate([n, h, w, c]);
  simd.exports.maxPoolGrad(simd.offsetOf(input), simd.offsetOf(output), simd.offsetOf(dy), simd.offsetOf(dx),
    n, h, w, c, oh, ow, info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left);
  return dx;
}
