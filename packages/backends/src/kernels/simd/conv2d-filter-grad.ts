import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';

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
  simd.exports.conv2dFilterGrad(simd.offsetOf(x), simd.offsetOf(dy), simd.offsetOf(dw),
    n, h, w, ci, oh, ow, co, kh, kw, sh, sw, padInfo.top, padInfo.left);
  return dw;
}
