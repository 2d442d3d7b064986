import {
  backend_util, GatherNd, GatherV2, Reshape,
  type GatherV2Attrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { release, run, runOriginal, type WasmBackendLike } from './wasm-ops.js';

type GatherArgs = { inputs: { x?: TensorInfo; indices?: TensorInfo }; attrs: GatherV2Attrs; backend: WasmBackendLike };

/**
 * GatherV2 (an embedding lookup, and slicing along any axis) through the native GatherNd kernel,
 * which copies one contiguous slice per index. tfjs-backend-wasm 4.22's own Gather decomposes every
 * output element's offset separately, so its cost grows with the elements copied rather than with
 * the rows looked up. Gathers with leading batch or outer dimensions keep the original kernel.
 */
function gatherV2ViaGatherNd(args: GatherArgs): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const indices = inputs.indices!;
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  const info = backend_util.segment_util.collectGatherOpShapeInfo(
    x as never, indices as never, axis, attrs.batchDims);
  if (info.batchSize !== 1 || info.outerSize !== 1 || indices.dtype !== 'int32') {
    return runOriginal(GatherV2, args);
  }
  // Same bound check and message as tfjs-backend-wasm (GatherNd itself does not check).
  const values = backend.readSync(indices.dataId) as Int32Array;
  const last = info.dimSize - 1;
  for (let i = 0; i < values.length; i++) {
    const index = values[i]!;
    if (index > last || index < 0) throw new Error(`GatherV2: the index value ${index} is not in [0, ${last}]`);
  }
  const count = values.length;
  const table = run(backend, Reshape, { x }, { shape: [info.dimSize, info.sliceSize] });
  const column = run(backend, Reshape, { x: indices }, { shape: [count, 1] });
  const rows = run(backend, GatherNd, { params: table, indices: column });
  const out = run(backend, Reshape, { x: rows }, { shape: info.outputShape });
  release(backend, table, column, rows);
  return out;
}

export const gatherV2Config: KernelConfig = {
  kernelName: GatherV2,
  backendName: 'wasm',
  kernelFunc: gatherV2ViaGatherNd as unknown as KernelFunc,
};
