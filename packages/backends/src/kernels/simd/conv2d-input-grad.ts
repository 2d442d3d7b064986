import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { release, type WasmBackendLike } from '../wasm-ops.js';
import { simdKernelsOf } from './module.js';
import { splitRange, workersFor } from './pool.js';

/**
 * dx by the SIMD module's scatter form: every dy position adds W·dy into a zero-padded dx (one spare
 * image, so images go in pairs without bounds checks), then the padding is cropped off. Lanes run along
 * C_in when it is a multiple of 4, else along a whole filter row (kw·C_in values, rounded up to a multiple
 * of 4 with zero weights whose lanes add 0 to the next pixels). Undefined where the module is not loaded
 * or a tensor is not float32: the caller then uses XNNPACK.
 */
export function conv2dInputGradSimd(
  backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  if (simd === undefined || dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  if (n * h * w * ci * oh * ow * co === 0) return undefined;
  const perTap = ci % 4 === 0;
  const gw = perTap ? kw : 1;
  const span = perTap ? ci : Math.ceil((kw * ci) / 4) * 4;

  const wt = simd.allocate([kh * gw * span * co]);
  simd.exports.transposeFilter(simd.offsetOf(filter), simd.offsetOf(wt), kh * gw, perTap ? ci : kw * ci, co, span);
  // Padded row o·sh + a holds dx row o·sh + a − top; it must also reach every dx row (large padding), and
  // a row's last span, which starts at column (ow − 1)·sw, must fit in it.
  const hp = Math.max((oh - 1) * sh + kh, padInfo.top + h);
  const wp = Math.max((ow - 1) * sw + Math.max(kw, Math.ceil(span / ci)), padInfo.left + w);
  const padded = simd.allocate([n + 1, hp, wp, ci]);
  // Images are independent: each thread scatters a run of them (whole pairs, so only the last run may
  // spill into the spare image).
  const images = splitRange(n, workersFor(simd.threads, n * oh * ow * kh * kw * ci * co), 2);
  const [pdy, pwt, pp] = [simd.offsetOf(dy), simd.offsetOf(wt), simd.offsetOf(padded)];
  const [dyImage, paddedImage] = [4 * oh * ow * co, 4 * hp * wp * ci];
  // Each thread zeroes the images it scatters into (the last run also the spare image).
  simd.parallel('fillZero', images.map(([i0, i1], k) =>
    [pp + i0 * paddedImage, ((k === images.length - 1 ? n + 1 : i1) - i0) * paddedImage]));
  simd.parallel('conv2dInputGradScatter', images.map(([i0, i1]) =>
    [pdy + i0 * dyImage, pwt, pp + i0 * paddedImage, i1 - i0, hp, wp, ci, oh, ow, co, kh, gw, span, sh, sw]));
  const dx = simd.allocate([n, h, w, ci]);
  const pdx = simd.offsetOf(dx);
  simd.parallel('cropImages', images.map(([i0, i1]) =>
    [pp + i0 * paddedImage, pdx + i0 * 4 * h * w * ci, i1 - i0, hp, wp, h, w, ci, padInfo.top, padInfo.left]));
  release(backend, wt, padded);
  return dx;
}
