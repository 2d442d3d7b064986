import { getKernel, Slice, type DataId, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's BackendWasm that our kernels use. */
export interface WasmBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
  readSync(dataId: DataId): unknown;
  write(values: Float32Array | Int32Array, shape: number[], dtype: string): DataId;
}

/** Kernel configs we replaced, so `run` can still reach the original implementation. */
export const originalWasmKernels = new Map<string, KernelConfig>();

/**
 * Runs a registered wasm kernel directly on TensorInfos. Nothing is tracked by the engine,
 * so the caller must `release` every intermediate result.
 */
export function run(
  backend: WasmBackendLike,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: object = {},
): TensorInfo {
  const kernel = originalWasmKernels.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (kernel === undefined) {
    throw new Error(`@advtrain/backends: kernel "${kernelName}" is not registered for backend "wasm".`);
  }
  const out = kernel.kernelFunc({ inputs, attrs: attrs as never, backend });
  if (Array.isArray(out)) throw new Error(`@advtrain/backends: kernel "${kernelName}" returned several outputs.`);
  return out;
}

/** The kernel a replacement took over, run on the inputs the replacement leaves to it. */
export function runOriginal(kernelName: string, args: object): TensorInfo {
  const config = originalWasmKernels.get(kernelName);
  if (config === undefined) throw new Error(`@advtrain/backends: the original wasm "${kernelName}" kernel is not registered.`);
  return config.kernelFunc(args as never) as TensorInfo;
}

/** Values written straight to the backend as an int32 or float32 tensor (free it with `release`). */
export function writeInfo(backend: WasmBackendLike, values: Float32Array | Int32Array, shape: number[]): TensorInfo {
  const dtype = values instanceof Int32Array ? 'int32' : 'float32';
  return { dataId: backend.write(values, shape, dtype), shape, dtype };
}

/** A float32 scalar written straight to the backend (free it with `release`). */
export function scalarInfo(backend: WasmBackendLike, value: number): TensorInfo {
  return writeInfo(backend, Float32Array.of(value), []);
}

/** Frees intermediate results made by `run` (each holds one backend reference). */
export function release(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function pair(value: number | readonly [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

export type Shape4D = [number, number, number, number];

export function shape4D(info: TensorInfo, kernelName: string, input: string): Shape4D {
  const s = info.shape;
  if (s.length !== 4) {
    throw new Error(`@advtrain/backends: ${kernelName} input "${input}" must be rank 4 (received shape [${s.join(', ')}]).`);
  }
  return [s[0]!, s[1]!, s[2]!, s[3]!];
}

/**
 * Crops rows/columns of an NHWC tensor. wasm's Slice is a JS loop that copies one innermost run per
 * call, so slicing [n, h, w·c] (runs of w·c values) is much faster than slicing [n, h, w, c] (runs of c).
 */
export function cropHW(
  backend: WasmBackendLike, x: TensorInfo, begin: [number, number], size: [number, number]): TensorInfo {
  const [n, h, w, c] = x.shape as Shape4D;
  const flat = { dataId: x.dataId, shape: [n, h, w * c], dtype: x.dtype };
  const cropped = run(backend, Slice, { x: flat }, { begin: [0, begin[0], begin[1] * c], size: [n, size[0], size[1] * c] });
  return { dataId: cropped.dataId, shape: [n, size[0], size[1], c], dtype: cropped.dtype };
}
