import {
  backend_util, Conv2D, Conv2DBackpropInput, GatherNd, PadV2, Reshape, Reverse, Transpose, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { backpropInputGeometry, type BackpropInputArgs } from './Conv2DBackpropInput.js';
import { cropHW, release, run, writeInfo, type WasmBackendLike } from './wasm-ops.js';

interface AxisPlan {
  /** Sub-filter taps, ceil(k / s). */
  taps: number;
  /** Rows of each phase's output. */
  rows: number;
  /** dy padding (negative: crop) so that a valid conv gives `rows` rows. */
  before: number;
  after: number;
  /** Where dx starts in the interleaved output. */
  offset: number;
}

/**
 * Input position i (padded coordinates i + p = q·s + r) gets Σ_j dy[q − j]·w[j·s + r], so each
 * phase r is a stride-1 conv of the undilated dy with taps w[r], w[s + r], … (reversed).
 */
function plan(k: number, s: number, pad: number, size: number, outSize: number): AxisPlan {
  const taps = Math.ceil(k / s);
  const first = Math.floor(pad / s);
  const rows = Math.floor((pad + size - 1) / s) - first + 1;
  return { taps, rows, before: taps - 1 - first, after: first + rows - outSize, offset: pad - first * s };
}

/**
 * dx without the zeros of a stride-dilated dy ("sub-pixel" conv): one XNNPACK conv2d whose
 * s_h·s_w·C_in output channels hold every stride phase, then a depth-to-space transpose.
 * It does the forward conv's work; the zero-dilated form does s_h·s_w times more.
 */
export function conv2DBackpropInputSubPixel(args: BackpropInputArgs): TensorInfo {
  const { dy, filter, info } = backpropInputGeometry(args);
  return subPixel(args.backend, dy, filter, info);
}

/** The sub-pixel dx for geometry already computed (`backpropInputGeometry`). */
export function subPixel(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inChannels: cin, outChannels: cout } = info;
  const [n, h, w] = [info.batchSize, info.inHeight, info.inWidth];
  const ph = plan(kh, sh, info.padInfo.top, h, info.outHeight);
  const pw = plan(kw, sw, info.padInfo.left, w, info.outWidth);

  // Filter [kh, kw, C_in, C_out] -> [J_h, J_w, C_out, s_h·s_w·C_in]: tap (j, r) at j·s + r, j reversed.
  const padded = run(backend, PadV2, { x: filter }, {
    paddings: [[0, ph.taps * sh - kh], [0, pw.taps * sw - kw], [0, 0], [0, 0]], constantValue: 0,
  });
  const six = run(backend, Reshape, { x: padded }, { shape: [ph.taps, sh, pw.taps, sw, cin, cout] });
  const flipped = run(backend, Reverse, { x: six }, { dims: [0, 2] });
  const moved = run(backend, Transpose, { x: flipped }, { perm: [0, 2, 5, 1, 3, 4] });
  const phaseFilter = run(backend, Reshape, { x: moved }, { shape: [ph.taps, pw.taps, cout, sh * sw * cin] });
  release(backend, padded, six, flipped, moved);

  // Crop dy where it reaches no input (large explicit padding); pad through the conv, which copies nothing.
  let source = dy;
  if (ph.before < 0 || pw.before < 0 || ph.after < 0 || pw.after < 0) {
    const top = Math.max(0, -ph.before);
    const left = Math.max(0, -pw.before);
    source = cropHW(backend, dy, [top, left],
      [info.outHeight - top - Math.max(0, -ph.after), info.outWidth - left - Math.max(0, -pw.after)]);
  }
  const phases = run(backend, Conv2D, { x: source, filter: phaseFilter }, {
    strides: [1, 1],
    pad: [[0, 0], [Math.max(0, ph.before), Math.max(0, ph.after)], [Math.max(0, pw.before), Math.max(0, pw.after)], [0, 0]],
    dilations: [1, 1],
    dataFormat: 'NHWC',
  });
  if (source !== dy) release(backend, source);
  release(backend, phaseFilter);

  // Depth to space and crop in one GatherNd: dx pixel (b, i, j) is the C_in-wide row of phase
  // ((i + offset_h) mod s_h, (j + offset_w) mod s_w) at ((i + offset_h) div s_h, (j + offset_w) div s_w).
  // (A transpose and a strided Slice, a JS loop per row on wasm, cost about three times as much.)
  const rowsOf = run(backend, Reshape, { x: phases }, { shape: [n * ph.rows * pw.rows * sh * sw, cin] });
  const index = depthToSpaceRows(n, h, w, ph, pw, sh, sw);
  const indices = writeInfo(backend, index, [index.length, 1]);
  const gathered = run(backend, GatherNd, { params: rowsOf, indices });
  const dx = run(backend, Reshape, { x: gathered }, { shape: [n, h, w, cin] });
  release(backend, phases, rowsOf, indices, gathered);
  return dx;
}

/** Index arrays by geometry: every training step asks for the same few, once per conv layer and pass. */
const rowsCache = new Map<string, Int32Array>();
const ROWS_CACHE_SIZE = 16;

/** Row of the [n·rows_h·rows_w·s_h·s_w, C_in] phase output that holds each dx pixel, in dx order. */
function depthToSpaceRows(n: number, h: number, w: number, ph: AxisPlan, pw: AxisPlan, sh: number, sw: number): Int32Array {
  const key = [n, h, w, ph.rows, ph.offset, pw.rows, pw.offset, sh, sw].join(',');
  let rows = rowsCache.get(key);
  if (rows === undefined) {
    rows = buildDepthToSpaceRows(n, h, w, ph, pw, sh, sw);
    if (rowsCache.size >= ROWS_CACHE_SIZE) rowsCache.delete(rowsCache.keys().next().value as string);
    rowsCache.set(key, rows);
  }
  return rows;
}

function buildDepthToSpaceRows(n: number, h: number, w: number, ph: AxisPlan, pw: AxisPlan, sh: number, sw: number): Int32Array {
  const rowH = new Int32Array(h);
  const colW = new Int32Array(w);
  for (let i = 0; i < h; i++) rowH[i] = Math.floor((i + ph.offset) / sh) * pw.rows * sh * sw + ((i + ph.offset) % sh) * sw;
  for (let j = 0; j < w; j++) colW[j] = Math.floor((j + pw.offset) / sw) * sh * sw + ((j + pw.offset) % sw);
  const out = new Int32Array(n * h * w);
  const perImage = ph.rows * pw.rows * sh * sw;
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const base = b * perImage + rowH[i]!;
      for (let j = 0; j < w; j++) out[k++] = base + colW[j]!;
    }
  }
  return out;
}

export const conv2DBackpropInputSubPixelConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputSubPixel as unknown as KernelFunc,
};
