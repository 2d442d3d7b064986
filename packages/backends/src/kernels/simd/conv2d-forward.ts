import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { release, type WasmBackendLike } from '../wasm-ops.js';
import { simdMatMulShapes } from './mat-mul-shapes.js';
import { simdKernelsOf, type SimdKernels } from './module.js';
import { splitRange, workersFor } from './pool.js';

/** The gathered conv over an x that needs no padding (or is padded already), split by output pixel pairs. */
function gather(simd: SimdKernels, px: number, pw: number, py: number,
  g: { n: number; hp: number; wp: number; ci: number; oh: number; ow: number; co: number; kh: number; kw: number; sh: number; sw: number }): void {
  const pixels = g.n * g.oh * g.ow;
  const ranges = splitRange(pixels, workersFor(simd.threads, pixels * g.kh * g.kw * g.ci * g.co), 2);
  simd.parallel('conv2dGather', ranges.map(([q0, q1]) =>
    [px, pw, py, g.hp, g.wp, g.ci, g.oh, g.ow, g.co, g.kh, g.kw, g.sh, g.sw, q0, q1]));
}

/**
 * Conv2D (NHWC, no dilation) by the SIMD module's gathered form, split over the module's threads by output
 * pixels. x is first copied into a zero-padded buffer (borders written, not the whole buffer filled) unless the
 * conv reads no padding. Undefined where it does not apply (module not loaded, C_out not a multiple of 4,
 * dilation, an empty axis, not float32): the caller then uses XNNPACK.
 */
export function conv2dForwardSimd(
  backend: WasmBackendLike, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  if (simd === undefined || co % 4 !== 0 || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || n * h * w * ci * oh * ow * co === 0) return undefined;
  const y = simd.allocate([n, oh, ow, co]);
  const pw = simd.offsetOf(filter);
  // The padded image must hold every row and column the last output pixel reads.
  const hp = Math.max((oh - 1) * sh + kh, padInfo.top + h);
  const wp = Math.max((ow - 1) * sw + kw, padInfo.left + w);
  const geometry = { n, ci, oh, ow, co, kh, kw, sh, sw };
  if (padInfo.top === 0 && padInfo.left === 0 && hp === h && wp === w) {
    gather(simd, simd.offsetOf(x), pw, simd.offsetOf(y), { ...geometry, hp, wp });
    return y;
  }
  const padded = simd.allocate([n, hp, wp, ci]);
  const pp = simd.offsetOf(padded);
  const px = simd.offsetOf(x);
  simd.parallel('padImages', splitRange(n, workersFor(simd.threads, n * h * w * ci)).map(([i0, i1]) =>
    [px + 4 * i0 * h * w * ci, pp + 4 * i0 * hp * wp * ci, i1 - i0, h, w, ci, hp, wp, padInfo.top, padInfo.left]));
  gather(simd, pp, pw, simd.offsetOf(y), { ...geometry, hp, wp });
  release(backend, padded);
  return y;
}

/**
 * C = A·B (rank 2, or equal batch shapes) as a 1×1 conv whose pixels are A's rows, split over the
 * module's threads by rows of C. Undefined where it does not apply (N not a multiple of 4, batch shapes
 * that broadcast, not float32).
 */
export function matMulSimd(backend: object, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const shapes = simdMatMulShapes(a, b, false);
  if (simd === undefined || shapes === undefined) return undefined;
  const { m, k, n, batchShape, batch } = shapes;
  const c = simd.allocate([...batchShape, m, n]);
  const [pa, pb, pc] = [simd.offsetOf(a), simd.offsetOf(b), simd.offsetOf(c)];
  // Each matrix is one image of m × 1 pixels with k channels under one 1×1 filter [k, n].
  const geometry = { n: 1, hp: m, wp: 1, ci: k, oh: m, ow: 1, co: n, kh: 1, kw: 1, sh: 1, sw: 1 };
  for (let i = 0; i < batch; i++) gather(simd, pa + 4 * i * m * k, pb + 4 * i * k * n, pc + 4 * i * m * n, geometry);
  return c;
}
