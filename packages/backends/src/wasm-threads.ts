import { env } from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { isNode } from './runtime.js';

/** What `prepareBackend('wasm', { threads })` needs from the tfjs-backend-wasm module. */
export interface WasmPackage {
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
}

/** Undoes what {@link installThreadedBuild} changed once the backend has started its threads. */
export type RestoreHook = () => void;

// The smallest module with a shared memory and an atomic load (wasm-feature-detect's threads test).
const THREADS_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1,
  10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11]);


/** Logical cores: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers. */
export async function availableCores(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

const shown = (value: unknown): string => (typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value));

/** Throws the option error for a `threads` or `xnnpackThreads` value that is not a positive integer. */
export function checkThreadsOption(threads: unknown, xnnpackThreads?: unknown): void {
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1)) {
    throw new RangeError('@advtrain/backends: option "threads" must be a positive integer, the number of threads of the ' +
      `wasm backend (received ${shown(threads)}).`);
  }
  if (xnnpackThreads === undefined) return;
  if (typeof xnnpackThreads !== 'number' || !Number.isInteger(xnnpackThreads) || xnnpackThreads < 1) {
    throw new RangeError('@advtrain/backends: option "xnnpackThreads" must be a positive integer, the threads of ' +
      `XNNPACK's pool (received ${shown(xnnpackThreads)}).`);
  }
  if (typeof threads === 'number' && xnnpackThreads > threads) {
    throw new RangeError('@advtrain/backends: option "xnnpackThreads" must be at most "threads" ' +
      `(received xnnpackThreads: ${xnnpackThreads} with threads: ${threads}).`);
  }
}

/** Throws the option error for a `wasmThreadsScript` that is not a URL. */
export function checkThreadsScriptOption(script: unknown): void {
  if (script === undefined || typeof script === 'string' || script instanceof URL) return;
  throw new TypeError('@advtrain/backends: option "wasmThreadsScript" must be the URL (a string or URL) of ' +
    `tfjs-backend-wasm-threaded-simd.js as the app serves it (received ${JSON.stringify(script) ?? String(script)}).`);
}

/** Why this runtime cannot run tfjs-backend-wasm's threaded build, or undefined where it can. */
export function whyNoThreads(script: string | URL | undefined): string | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    return 'SharedArrayBuffer is unavailable: serve the page cross-origin isolated ' +
      '(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (!WebAssembly.validate(THREADS_PROBE)) return 'this engine has no WebAssembly threads';
  if (!isNode() && script === undefined) {
    return 'a browser needs the wasmThreadsScript option (the URL where the app serves ' +
      '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js)';
  }
  return undefined;
}

/**
 * tfjs-backend-wasm builds its pthread worker from a Blob that loads the emscripten factory from
 * `factory.toString()`, which a bundler breaks and Node cannot load. Our worker script is the same
 * with a prelude that makes the worker load the factory from `factoryUrl` instead.
 */
export function workerScript(contents: string, factoryUrl: string): string {
  return `URL.createObjectURL = () => ${JSON.stringify(factoryUrl)};\nURL.revokeObjectURL = () => {};\n${contents}`;
}

/** Hands `script` out instead of tfjs's worker Blob (recognised by its type and size) until the restore. */
export function serveWorkerScript(blobSize: number, script: string): RestoreHook {
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) => (blob instanceof Blob && blob.type === 'application/javascript' && blob.size === blobSize
    ? script : createObjectURL(blob));
  return () => { URL.createObjectURL = createObjectURL; };
}

/**
 * Makes the next initialisation of the 'wasm' backend load the threaded SIMD build, with `xnnpack` threads
 * in XNNPACK's pool, or the single-threaded build when `threads` is 1. tfjs-backend-wasm caps its pool at
 * half the logical cores it sees while the module starts, so they are reported as at least 2 × `xnnpack`
 * until the restore.
 */
export async function installThreadedBuild(pkg: WasmPackage, threads: number, xnnpack: number, script?: string | URL): Promise<RestoreHook> {
  if (threads === 1) {
    env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return () => {};
  }
  env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  pkg.setThreadsCount(xnnpack);
  if (isNode()) {
    const { installNodeWorkers } = await import('./wasm-threads-node.js');
    return installNodeWorkers(2 * xnnpack);
  }
  const worker = await import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
  // A bundler may hand the CommonJS module over as a default export.
  const wasmWorkerContents = worker.wasmWorkerContents ?? (worker as { default?: { wasmWorkerContents: string } }).default!.wasmWorkerContents;
  const contents = wasmWorkerContents.replace(/\n/g, '\\n'); // the escaping tfjs applies before making its Blob
  const factory = new URL(String(script), globalThis.location?.href).href;
  const url = URL.createObjectURL(new Blob([workerScript(contents, factory)], { type: 'text/javascript' }));
  const restoreUrl = serveWorkerScript(new Blob([contents]).size, url);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav !== undefined) Object.defineProperty(nav, 'hardwareConcurrency', { value: 2 * xnnpack, configurable: true });
  return () => {
    restoreUrl();
    if (nav !== undefined) delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/** tfjs-backend-wasm internals that hold the pthreads (emscripten's PThread). */
interface ThreadedModule {
  wasm?: { PThread?: { runningWorkers?: Array<{ unref?: () => void }> } };
}

/** Lets Node exit while the thread pool idles: emscripten keeps its running workers referenced. */
export function releaseWorkersOnExit(backend: object): void {
  for (const worker of (backend as ThreadedModule).wasm?.PThread?.runningWorkers ?? []) worker.unref?.();
}

/** The error for a `threads` request this runtime cannot meet. */
export function threadsUnavailable(requested: number, reason: string): BackendError {
  return new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
    `@advtrain/backends: option "threads" asks for ${requested} threads, but ${reason}. Pass threads: 1 for the ` +
    'single-threaded build.', { backend: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm' });
}
