import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from '../wasm-ops.js';
import { SIMD_MODULE_WASM, SIMD_MODULE_WASM_SHARED } from './module.wasm.js';
import { startSimdPool, type SimdPool } from './pool.js';

/** The functions of assembly/index.ts; pointers are byte offsets into tfjs-backend-wasm's heap. */
export interface SimdExports {
  conv2dFilterGrad(x: number, dy: number, dw: number, n: number, h: number, w: number, ci: number,
    oh: number, ow: number, co: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
    u0: number, u1: number): void;
  conv2dGather(padded: number, w: number, y: number, hp: number, wp: number, ci: number, oh: number, ow: number,
    co: number, kh: number, kw: number, sh: number, sw: number, q0: number, q1: number): void;
  fillZero(at: number, bytes: number): void;
  padImages(x: number, padded: number, n: number, h: number, w: number, ci: number, hp: number, wp: number,
    top: number, left: number): void;
  transposeFilter(w: number, wt: number, taps: number, ci: number, co: number, span: number): void;
  conv2dInputGradScatter(dy: number, wt: number, padded: number, n: number, hp: number, wp: number, ci: number,
    oh: number, ow: number, co: number, kh: number, gw: number, span: number, sh: number, sw: number): void;
  cropImages(padded: number, out: number, n: number, hp: number, wp: number, h: number, w: number, ci: number,
    top: number, left: number): void;
  sign(x: number, out: number, size: number): void;
  clipByValueGrad(x: number, dy: number, out: number, size: number, lo: number, hi: number): void;
  reluGrad(x: number, dy: number, out: number, size: number): void;
  randomUniform(out: number, size: number, seed: number, lo: number, hi: number): void;
  randomNormal(out: number, size: number, seed: number, mean: number, std: number, tables: number): void;
  signStep(delta: number, grad: number, x: number, out: number, size: number, step: number, epsilon: number, lo: number, hi: number): void;
  sumOfSquares(x: number, out: number, rows: number, cols: number): void;
  scaledAdd(a: number, b: number, scale: number, out: number, rows: number, cols: number): void;
  binaryMiddle(op: number, full: number, small: number, out: number, outer: number, middle: number, inner: number): void;
  binaryPerRow(op: number, full: number, small: number, out: number, rows: number, cols: number): void;
  maxPoolGrad(x: number, y: number, dy: number, dx: number, n: number, h: number, w: number, c: number,
    oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void;
}

/** tfjs-backend-wasm internals the SIMD kernels need (BackendWasm 4.22). */
interface WasmBackendInternals extends WasmBackendLike {
  // The single-threaded build exports its memory; the threaded one imports it (emscripten's wasmMemory).
  wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown };
  dataIdMap?: { get(dataId: DataId): { memoryOffset: number } | undefined };
  makeOutput?(shape: number[], dtype: 'float32'): TensorInfo;
}

/** The loaded module bound to one backend's heap. */
export interface SimdKernels {
  exports: SimdExports;
  memory: WebAssembly.Memory;
  /** Allocates an uninitialised float32 tensor on the backend (free it with `release`, or return it). */
  allocate(shape: number[]): TensorInfo;
  /** Byte offset of a tensor's data in the heap. */
  offsetOf(info: TensorInfo): number;
  /** Threads a kernel may split its work over: this one and the module's workers. */
  threads: number;
  /** Calls `fn` once per argument list, in parallel on the threads (at most `threads` lists), and returns when all are done. */
  parallel<K extends keyof SimdExports>(fn: K, argLists: Array<Parameters<SimdExports[K]>>): void;
}

/** Whether our WebAssembly SIMD module serves a wasm backend, and why not (see {@link simdStatusOf}). */
export type SimdStatus = { loaded: true } | { loaded: false; reason: string };

/** The heap of a tfjs-backend-wasm backend, undefined for any other backend. */
export function heapMemoryOf(backend: object): WebAssembly.Memory | undefined {
  const wasm = (backend as WasmBackendInternals).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** Whether the heap is shared with worker threads (the threaded tfjs build). */
export function isSharedHeap(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

const bound = new WeakMap<object, SimdKernels>();
const pools = new WeakMap<object, SimdPool>();
const statuses = new WeakMap<object, SimdStatus>();
let enabled = true;

/** Lets the SIMD kernels run (default) or makes every caller take its XNNPACK path (`simd: false`). */
export function setSimdKernelsEnabled(on: boolean): void {
  enabled = on;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Instantiates advtrain's SIMD module on a tfjs-backend-wasm backend's own memory, so it reads
 * and writes tensors in place: the build that imports a shared memory on the threaded tfjs build, the
 * unshared one otherwise. Resolves to why not where it cannot (no SIMD in this engine). Idempotent.
 */
export async function loadSimdKernels(backend: object, options: { threads?: number } = {}): Promise<SimdStatus> {
  const known = statuses.get(backend);
  if (known !== undefined) return known;
  const internals = backend as WasmBackendInternals;
  const memory = heapMemoryOf(backend);
  let status: SimdStatus;
  if (memory === undefined || internals.dataIdMap === undefined || internals.makeOutput === undefined) {
    status = { loaded: false, reason: 'the backend is not tfjs-backend-wasm 4.x (no heap memory, dataIdMap or makeOutput)' };
  } else {
    try {
      const module = await WebAssembly.compile(decode(isSharedHeap(memory) ? SIMD_MODULE_WASM_SHARED : SIMD_MODULE_WASM));
      const instance = await WebAssembly.instantiate(module, { env: { memory } });
      const exports = instance.exports as unknown as SimdExports;
      const names = Object.keys(exports).filter((k) => typeof (exports as unknown as Record<string, unknown>)[k] === 'function');
      const threads = isSharedHeap(memory) ? options.threads ?? 1 : 1;
      const pool = threads > 1 ? await startSimdPool(module, memory, threads, names) : undefined;
      if (pool !== undefined) pools.set(backend, pool);
      const call = ({ fn, args }: { fn: string; args: number[] }): void => {
        (exports as unknown as Record<string, (...a: number[]) => void>)[fn]!(...args);
      };
      const dataIdMap = internals.dataIdMap;
      const makeOutput = internals.makeOutput.bind(internals);
      bound.set(backend, {
        exports,
        memory,
        allocate: (shape) => makeOutput(shape, 'float32'),
        offsetOf: (info) => dataIdMap.get(info.dataId)!.memoryOffset,
        threads,
        parallel: (fn, argLists) => {
          const calls = argLists.map((args) => ({ fn, args: args as number[] }));
          if (pool === undefined || calls.length === 1) calls.forEach(call);
          else pool.run(calls, call);
        },
      });
      status = { loaded: true };
    } catch (error) {
      status = { loaded: false, reason: `WebAssembly SIMD is not available (${(error as Error).message})` };
    }
  }
  statuses.set(backend, status);
  return status;
}

/** Stops the module's worker threads on `backend` (before the backend is removed). */
export function releaseSimdKernels(backend: object): void {
  pools.get(backend)?.terminate();
  pools.delete(backend);
  bound.delete(backend);
  statuses.delete(backend);
}

/** The SIMD kernels bound to `backend`, if `loadSimdKernels` succeeded on it and they are enabled. */
export function simdKernelsOf(backend: object): SimdKernels | undefined {
  return enabled ? bound.get(backend) : undefined;
}

/** Whether our SIMD kernels are loaded on `backend`, and if not, why. */
export function simdStatusOf(backend: object): SimdStatus {
  return statuses.get(backend) ?? { loaded: false, reason: 'loadSimdKernels has not run on this backend' };
}
