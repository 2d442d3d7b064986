import {
  Fill, Multiply, Reshape, Tile,
  type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs,
} from '@tensorflow/tfjs-core';
import { release, run, runOriginal, type WasmBackendLike } from './wasm-ops.js';

/** XNNPACK's binary operators take at most 6 dimensions. */
const MAX_DIMS = 6;

/**
 * Tile (and so tf.broadcastTo, and tf.where with a scalar condition) on wasm. tfjs-backend-wasm
 * 4.22's Tile decomposes every output offset in a scalar loop, slow for large outputs such as a
 * broadcast to a text model's [B, T, H]. A one-element tensor becomes a Fill; a float32 tensor of
 * rank ≤ 3 is multiplied, with XNNPACK's broadcasting, by ones of shape [r0, d0, r1, d1, …] (×1 is
 * exact, NaN and -0 included); other tensors keep the original kernel.
 */
function tileViaBroadcast(args: { inputs: { x?: TensorInfo }; attrs: TileAttrs; backend: WasmBackendLike }): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const reps = attrs.reps;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (size === 1 && x.dtype !== 'string' && x.dtype !== 'complex64') {
    const value = (backend.readSync(x.dataId) as ArrayLike<number>)[0]!;
    return run(backend, Fill, {}, { shape: outShape, value, dtype: x.dtype });
  }
  if (x.dtype !== 'float32' || 2 * x.shape.length > MAX_DIMS) {
    return runOriginal(Tile, args);
  }
  const interleaved = x.shape.flatMap((d) => [1, d]);
  const target = x.shape.flatMap((d, i) => [reps[i]!, d]);
  const source = run(backend, Reshape, { x }, { shape: interleaved });
  const ones = run(backend, Fill, {}, { shape: target, value: 1, dtype: 'float32' });
  const tiled = run(backend, Multiply, { a: source, b: ones });
  const out = run(backend, Reshape, { x: tiled }, { shape: outShape });
  release(backend, source, ones, tiled);
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileViaBroadcast as unknown as KernelFunc,
};
