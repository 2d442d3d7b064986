import {
  Cast, Multiply, Reshape, ScatterNd, UnsortedSegmentSum,
  type KernelConfig, type KernelFunc, type TensorInfo, type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { release, run, writeInfo, type WasmBackendLike } from './wasm-ops.js';

/**
 * UnsortedSegmentSum (the gradient of gather, e.g. of an embedding lookup) through the native
 * ScatterNd kernel, which adds rows that share an index. Cost is O(rows * width), independent
 * of the number of segments, so 20k-row embedding tables stay fast.
 */
export function unsortedSegmentSumViaScatter(args: {
  inputs: { x?: TensorInfo; segmentIds?: TensorInfo };
  attrs: UnsortedSegmentSumAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const ids = inputs.segmentIds!;
  const { numSegments } = attrs;
  const rows = ids.shape.reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(ids.shape.length);
  const width = rest.reduce((a, b) => a * b, 1);
  const owned: TensorInfo[] = [];
  let indices = ids.dtype === 'int32' ? ids : run(backend, Cast, { x: ids }, { dtype: 'int32' });
  if (indices !== ids) owned.push(indices);
  let updates = run(backend, Reshape, { x }, { shape: [rows, width] });
  owned.push(updates);

  // ScatterNd writes out of bounds on bad indices; TF drops rows whose id is outside [0, numSegments).
  // Reading the ids is a plain memory view on wasm, not a device download.
  const values = backend.readSync(indices.dataId) as Int32Array;
  let bad = false;
  for (let i = 0; i < values.length && !bad; i++) bad = values[i]! < 0 || values[i]! >= numSegments;
  if (bad) {
    const safe = Int32Array.from(values, (v) => (v < 0 || v >= numSegments ? 0 : v));
    const keep = Float32Array.from(values, (v) => (v < 0 || v >= numSegments ? 0 : 1));
    indices = writeInfo(backend, safe, [rows]);
    const maskF = writeInfo(backend, keep, [rows, 1]);
    const mask = x.dtype === 'float32' ? maskF : run(backend, Cast, { x: maskF }, { dtype: x.dtype });
    const masked = run(backend, Multiply, { a: updates, b: mask }, {});
    owned.push(indices, maskF, masked);
    if (mask !== maskF) owned.push(mask);
    updates = masked;
  }
  const column = run(backend, Reshape, { x: indices }, { shape: [rows, 1] });
  const flat = run(backend, ScatterNd, { indices: column, updates }, { shape: [numSegments, width] });
  const out = run(backend, Reshape, { x: flat }, { shape: [numSegments, ...rest] });
  release(backend, column, flat, ...owned);
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumViaScatter as unknown as KernelFunc,
};
