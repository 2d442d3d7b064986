import {
  AvgPool, Mean, Multiply, Reshape, Sum, util,
  type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { release, run, runOriginal, scalarInfo, type WasmBackendLike } from './wasm-ops.js';

type ReduceArgs = { inputs: { x?: TensorInfo }; attrs: SumAttrs; backend: WasmBackendLike };

/** [A, K, C] when `axes` is one contiguous block that leaves a trailing axis, else null. */
export function poolableReduction(shape: readonly number[], axes: readonly number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  if (last - first + 1 !== sorted.length || last === shape.length - 1) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [size(0, first), size(first, last + 1), size(last + 1, shape.length)];
}

/**
 * Sum and Mean of float32 over leading or middle axes (a mean pool over tokens, a bias gradient)
 * as one XNNPACK average pooling over [A, K, 1, C] with a K×1 window: one vectorised pass with no
 * copy. tfjs-backend-wasm 4.22 transposes the reduced axes to the end (a full copy) and then adds
 * them in a scalar loop. Reductions over the last axis, and integer ones, keep the original kernels.
 */
function reduceViaAvgPool(kernelName: typeof Sum | typeof Mean) {
  return (args: ReduceArgs): TensorInfo => {
    const { inputs, attrs, backend } = args;
    const x = inputs.x!;
    const axes = util.parseAxisParam(attrs.axis, x.shape);
    const dims = x.dtype === 'float32' ? poolableReduction(x.shape, axes) : null;
    if (dims === null) return runOriginal(kernelName, args);
    const [a, k, c] = dims;
    const outShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d)).filter((_, i) => attrs.keepDims || !axes.includes(i));
    const image = run(backend, Reshape, { x }, { shape: [a, k, 1, c] });
    const mean = run(backend, AvgPool, { x: image }, { filterSize: [k, 1], strides: [k, 1], pad: 'valid' });
    const owned = [image, mean];
    let result = mean;
    if (kernelName === Sum) {
      const count = scalarInfo(backend, k);
      result = run(backend, Multiply, { a: mean, b: count });
      owned.push(count, result);
    }
    const out = run(backend, Reshape, { x: result }, { shape: outShape });
    release(backend, ...owned);
    return out;
  };
}

export const sumConfig: KernelConfig = {
  kernelName: Sum, backendName: 'wasm', kernelFunc: reduceViaAvgPool(Sum) as unknown as KernelFunc,
};
export const meanConfig: KernelConfig = {
  kernelName: Mean, backendName: 'wasm', kernelFunc: reduceViaAvgPool(Mean) as unknown as KernelFunc,
};
