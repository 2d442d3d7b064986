import { PadV2, Reshape, type TensorInfo } from '@tensorflow/tfjs-core';
import { cropHW, release, run, type WasmBackendLike } from './wasm-ops.js';

export interface DyLayout {
  strides: [number, number];
  /** Padding needed before/after each spatial axis so a stride-1 conv with the flipped filter gives dx. */
  before: [number, number];
  after: [number, number];
}

/**
 * Turns dy [b, oh, ow, c] into the input of the "transposed" conv that computes dx:
 * zeros inserted between rows/columns (stride - 1 of them) and padding on each side.
 * Negative padding means cropping. Returns a new TensorInfo the caller must release.
 */
export function dilateAndPadDy(backend: WasmBackendLike, dy: TensorInfo, layout: DyLayout): TensorInfo {
  const [b, oh, ow, c] = dy.shape as [number, number, number, number];
  const [sh, sw] = layout.strides;
  const [bh, bw] = layout.before;
  // Dilated length is (oh - 1) * sh + 1; the reshape trick below leaves (sh - 1) extra zeros after it.
  const ah = layout.after[0] - (sh - 1);
  const aw = layout.after[1] - (sw - 1);
  let current = dy;
  const owned: TensorInfo[] = [];
  if (sh > 1 || sw > 1) {
    const six = run(backend, Reshape, { x: dy }, { shape: [b, oh, 1, ow, 1, c] });
    const spread = run(backend, PadV2, { x: six }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
      constantValue: 0,
    });
    current = run(backend, Reshape, { x: spread }, { shape: [b, oh * sh, ow * sw, c] });
    release(backend, six, spread);
    owned.push(current);
  }
  if (bh < 0 || bw < 0 || ah < 0 || aw < 0) {
    const [, h, w] = current.shape as [number, number, number, number];
    const top = Math.max(0, -bh);
    const left = Math.max(0, -bw);
    const cropped = cropHW(backend, current, [top, left], [h - top - Math.max(0, -ah), w - left - Math.max(0, -aw)]);
    release(backend, ...owned);
    owned.length = 0;
    owned.push(cropped);
    current = cropped;
  }
  const padded = run(backend, PadV2, { x: current }, {
    paddings: [[0, 0], [Math.max(0, bh), Math.max(0, ah)], [Math.max(0, bw), Math.max(0, aw)], [0, 0]],
    constantValue: 0,
  });
  release(backend, ...owned);
  return padded;
}
