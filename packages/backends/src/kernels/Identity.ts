import {
  Cast, Identity, Transpose,
  type CastAttrs, type DataId, type KernelConfig, type KernelFunc, type TensorInfo, type TransposeAttrs,
} from '@tensorflow/tfjs-core';
import { runOriginal } from './wasm-ops.js';

/** The part of BackendWasm a shared-buffer kernel needs (tfjs-backend-wasm counts references per buffer). */
interface RefCountingBackend {
  incRef(dataId: DataId): void;
}

function share(x: TensorInfo, backend: unknown, shape: readonly number[] = x.shape): TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...shape], dtype: x.dtype };
}

/**
 * Identity (tf.clone, and the engine's copy of every tensor it saves for a backward pass) shares
 * the input's buffer and counts a reference, as tfjs-backend-cpu does, instead of copying it:
 * tfjs kernels never write into their inputs, so a copy is never needed, and an attack step makes
 * hundreds of them. Strings keep the original kernel.
 */
export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: { x?: TensorInfo }; backend: unknown }) => {
    const x = args.inputs.x!;
    return x.dtype === 'string' ? runOriginal(Identity, args) : share(x, args.backend);
  }) as unknown as KernelFunc,
};

/** Cast to the tensor's own dtype (e.g. float32 → float32 in ReLU's gradient) shares the buffer too. */
export const castConfig: KernelConfig = {
  kernelName: Cast,
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: { x?: TensorInfo }; attrs: CastAttrs; backend: unknown }) => {
    const x = args.inputs.x!;
    return x.dtype === args.attrs.dtype && x.dtype !== 'string' ? share(x, args.backend) : runOriginal(Cast, args);
  }) as unknown as KernelFunc,
};

/** True when `perm` only moves size-1 axes, so the transposed tensor has the same memory layout. */
export function keepsLayout(shape: readonly number[], perm: readonly number[]): boolean {
  const moved = perm.filter((axis) => shape[axis] !== 1);
  return moved.every((axis, i) => i === 0 || axis > moved[i - 1]!);
}

/**
 * A Transpose that keeps the memory layout (an identity permutation, e.g. in the gradient of an
 * embedding lookup, or one that moves only size-1 axes) shares the buffer; tfjs-backend-wasm copies it.
 */
export const transposeConfig: KernelConfig = {
  kernelName: Transpose,
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: { x?: TensorInfo }; attrs: TransposeAttrs; backend: unknown }) => {
    const x = args.inputs.x!;
    const { perm } = args.attrs;
    if (x.dtype === 'string' || !keepsLayout(x.shape, perm)) return runOriginal(Transpose, args);
    return share(x, args.backend, perm.map((axis) => x.shape[axis]!));
  }) as unknown as KernelFunc,
};
