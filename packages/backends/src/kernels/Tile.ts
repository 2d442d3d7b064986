import {
  Cast, Fill, Multiply, Reshape, Tile,
  type KernelConfig, type KernelFunc, type TensorInfo, type TileAttrs,
} from '@tensorflow/tfjs-core';
import { release, run, runOriginal, type WasmBackendLike } from './wasm-ops.js';

/** XNNPACK's binary operators take at most 6 dimensions. */
const MAX_DIMS = 6;

/**
 * Tile (and so tf.broadcastTo, and tf.where with a condition to broadcast) on wasm. tfjs-backend-wasm
 * 4.22's Tile decomposes every output offset in a scalar loop, slow for large outputs such as a
 * broadcast to a text model's [B, T, H] or PGD's early-stop mask [B, 1, 1, 1] → [B, 28, 28, 1].
 * A one-element tensor becomes a Fill. Otherwise neighbouring axes that are not tiled, or that are
 * tiled from size 1, are merged ([B, 1, 1, 1] × [1, 28, 28, 1] is [B, 1] × [1, 784]); a float32 or
 * bool tensor of merged rank ≤ 3 is then multiplied, with XNNPACK's broadcasting, by ones of shape
 * [r0, d0, r1, d1, …] (×1 is exact, NaN and -0 included; bool goes through float32 and back).
 * Other tensors keep the original kernel.
 */
function tileViaBroadcast(args: { inputs: { x?: TensorInfo }; attrs: TileAttrs; backend: WasmBackendLike }): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const outShape = x.shape.map((d, i) => d * attrs.reps[i]!);
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (size === 1 && x.dtype !== 'string' && x.dtype !== 'complex64') {
    const value = (backend.readSync(x.dataId) as ArrayLike<number>)[0]!;
    return run(backend, Fill, {}, { shape: outShape, value, dtype: x.dtype });
  }
  const merged = mergeAxes(x.shape, attrs.reps);
  if ((x.dtype !== 'float32' && x.dtype !== 'bool') || size === 0 || 2 * merged.shape.length > MAX_DIMS) {
    return runOriginal(Tile, args);
  }
  const float = x.dtype === 'float32' ? x : run(backend, Cast, { x }, { dtype: 'float32' });
  const source = run(backend, Reshape, { x: float }, { shape: merged.shape.flatMap((d) => [1, d]) });
  const ones = run(backend, Fill, {}, { shape: merged.shape.flatMap((d, i) => [merged.reps[i]!, d]), value: 1, dtype: 'float32' });
  const tiled = run(backend, Multiply, { a: source, b: ones });
  const flat = run(backend, Reshape, { x: tiled }, { shape: outShape });
  release(backend, source, ones, tiled, ...(float === x ? [] : [float]));
  if (x.dtype === 'float32') return flat;
  const out = run(backend, Cast, { x: flat }, { dtype: x.dtype });
  release(backend, flat);
  return out;
}

/**
 * The same tiling on fewer axes: axes of size 1 tiled once are dropped, and an axis joins its left
 * neighbour when both are untiled (their sizes multiply) or both have size 1 (their repeats multiply).
 */
export function mergeAxes(shape: readonly number[], reps: readonly number[]): { shape: number[]; reps: number[] } {
  const out = { shape: [] as number[], reps: [] as number[] };
  shape.forEach((d, i) => {
    const r = reps[i]!;
    const last = out.shape.length - 1;
    if (d === 1 && r === 1) return;
    if (last >= 0 && r === 1 && out.reps[last] === 1) out.shape[last]! *= d;
    else if (last >= 0 && d === 1 && out.shape[last] === 1) out.reps[last]! *= r;
    else { out.shape.push(d); out.reps.push(r); }
  });
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileViaBroadcast as unknown as KernelFunc,
};
