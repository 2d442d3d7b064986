import { engine, env, findBackendFactory, registerBackend, removeBackend, setBackend } from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { isModuleNotFound, type ModuleImporter } from './importer.js';
import {
  registerWasmTrainingKernels, syncDeltaUpdateKernels, wasmKernelsServedByUs, type WasmTrainingKernelOptions,
} from './kernels/register.js';
import { heapMemoryOf, isSharedHeap, loadSimdKernels, releaseSimdKernels } from './kernels/simd/module.js';
import { INSTALL } from './names.js';
import { installWebGpu } from './webgpu.js';
import {
  availableCores, installThreadedBuild, releaseWorkersOnExit, threadsUnavailable, whyNoThreads, type WasmPackage,
} from './wasm-threads.js';

/** What a loader reports once its backend is the active one. */
export interface LoadedBackend {
  backend: string;
  packageName: string;
  device: string;
  software: boolean;
  kernelsPatched: string[];
  threads?: number;
  xnnpackThreads?: number;
}

export interface LoaderContext {
  importModule: ModuleImporter;
  /** The name the app asked for ('gpu' when picking automatically). */
  requested: string;
  wasmKernels: WasmTrainingKernelOptions | false;
  swiftShader: boolean;
  /** 'wasm': the threads asked for, or undefined for one per core where the runtime allows. */
  threads?: number;
  /** 'wasm': the threads of XNNPACK's own pool (default 1). */
  xnnpackThreads?: number;
  /** 'wasm' in browsers: where the app serves tfjs-backend-wasm-threaded-simd.js. */
  wasmThreadsScript?: string | URL;
}

/** Imports a backend package; a missing package becomes a BackendError quoting `install`. */
export async function importBackendPackage(ctx: LoaderContext, specifier: string, need: string): Promise<unknown> {
  try {
    return await ctx.importModule(specifier);
  } catch (cause) {
    if (!isModuleNotFound(cause, specifier)) {
      throw new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
        `@advtrain/backends: backend "${ctx.requested}" found the package ${specifier} but could not load it: ` +
        `${cause instanceof Error ? cause.message : String(cause)}`, { backend: ctx.requested, packageName: specifier, cause });
    }
    throw new BackendError('ADVTRAIN_BACKEND_PACKAGE_MISSING',
      `@advtrain/backends: backend "${ctx.requested}" needs ${need}`, { backend: ctx.requested, packageName: specifier, cause });
  }
}

async function activate(ctx: LoaderContext, backend: string, packageName: string): Promise<void> {
  let ok = false;
  let cause: unknown;
  try {
    ok = await setBackend(backend);
  } catch (error) {
    cause = error;
  }
  if (!ok) {
    throw new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
      `@advtrain/backends: backend "${ctx.requested}" could not initialise tfjs backend "${backend}" from ${packageName}` +
      (cause instanceof Error ? `: ${cause.message}` : '; tfjs printed the reason above.'),
      { backend: ctx.requested, packageName, cause });
  }
}

interface EngineInternals {
  registry: Record<string, object | undefined>;
  registryFactory: Record<string, { factory: () => unknown; priority: number } | undefined>;
}

/** What each wasm backend was started with: its threads and XNNPACK's. */
const started = new WeakMap<object, string>();

/** XNNPACK's threads on an initialised wasm backend (1 on the single-threaded build). */
function xnnpackThreadsOf(pkg: WasmPackage, backend: object): number {
  const memory = heapMemoryOf(backend);
  return memory !== undefined && isSharedHeap(memory) ? pkg.getThreadsCount() : 1;
}

/** The threads to start: the option, else one per core where this runtime can run threads. */
async function planThreads(ctx: LoaderContext): Promise<{ threads: number; note: string }> {
  const requested = ctx.threads ?? await availableCores();
  const why = requested > 1 ? whyNoThreads(ctx.wasmThreadsScript) : undefined;
  if (why === undefined) return { threads: requested, note: '' };
  if (ctx.threads !== undefined) throw threadsUnavailable(requested, why);
  return { threads: 1, note: ` (${why})` };
}

/** Drops an initialised wasm backend started with other threads; its tensors go with it. */
function forgetOtherThreads(config: string): void {
  const internals = engine() as unknown as EngineInternals;
  const running = internals.registry['wasm'];
  const registration = internals.registryFactory['wasm'];
  if (running === undefined || registration === undefined || (started.get(running) ?? '1/1') === config) return;
  releaseSimdKernels(running);
  removeBackend('wasm');
  registerBackend('wasm', registration.factory as never, registration.priority);
}

export async function loadWasm(ctx: LoaderContext): Promise<LoadedBackend> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  const wasmPackage = await importBackendPackage(ctx, pkg, `the package ${pkg}; install it with: ${INSTALL.wasm}`) as WasmPackage;
  if (ctx.wasmKernels !== false) registerWasmTrainingKernels(ctx.wasmKernels);
  const { threads, note } = await planThreads(ctx);
  const xnnpack = threads === 1 ? 1 : ctx.xnnpackThreads ?? 1;
  forgetOtherThreads(`${threads}/${xnnpack}`);
  const restore = await installThreadedBuild(wasmPackage, threads, xnnpack, ctx.wasmThreadsScript);
  try {
    await activate(ctx, 'wasm', pkg);
  } finally {
    restore();
  }
  const backend = engine().backend;
  const heap = heapMemoryOf(backend);
  const shared = heap !== undefined && isSharedHeap(heap);
  if (shared !== threads > 1) throw threadsUnavailable(threads, `tfjs-backend-wasm started its ${shared ? 'threaded' : 'single-threaded'} build`);
  const runningXnnpack = xnnpackThreadsOf(wasmPackage, backend);
  if (runningXnnpack !== xnnpack) throw threadsUnavailable(threads, `tfjs-backend-wasm started XNNPACK with ${runningXnnpack} threads, not ${xnnpack}`);
  started.set(backend, `${threads}/${xnnpack}`);
  releaseWorkersOnExit(backend);
  const simd = await env().getAsync('WASM_HAS_SIMD_SUPPORT');
  // Our SIMD kernels run on the backend's heap; where they cannot load, the XNNPACK paths serve.
  const ours = ctx.wasmKernels === false ? undefined : await loadSimdKernels(backend, { threads });
  const oursText = ours === undefined ? '' : `, advtrain SIMD kernels ${ours.loaded ? 'on' : `off: ${ours.reason}`}`;
  // The fused δ-update kernels can be registered only now that the module is (or is not) loaded.
  if (ours !== undefined) syncDeltaUpdateKernels();
  return {
    backend: 'wasm', packageName: pkg, software: true, kernelsPatched: ours === undefined ? [] : wasmKernelsServedByUs(),
    threads, xnnpackThreads: xnnpack,
    device: `WebAssembly CPU (SIMD ${simd ? 'on' : 'off'}, ${threads} thread${threads === 1 ? '' : 's'}` +
      `${threads > 1 ? ` (XNNPACK ${xnnpack})` : ''}${note}${oursText})`,
  };
}

export async function loadCpu(ctx: LoaderContext): Promise<LoadedBackend> {
  const pkg = '@tensorflow/tfjs-backend-cpu';
  await importBackendPackage(ctx, pkg, `the package ${pkg}; install it with: ${INSTALL.cpu}`);
  await activate(ctx, 'cpu', pkg);
  return { backend: 'cpu', packageName: pkg, software: true, kernelsPatched: [], device: 'JavaScript CPU (single thread)' };
}

export async function loadWebGpu(ctx: LoaderContext, allowSoftware: boolean): Promise<LoadedBackend | string> {
  const pkg = '@tensorflow/tfjs-backend-webgpu';
  const adapter = await installWebGpu(ctx.importModule, { backend: ctx.requested, swiftShader: ctx.swiftShader });
  if (adapter === undefined) return 'no WebGPU adapter was found';
  if (adapter.software && !allowSoftware) return `only a software adapter was found (${adapter.description})`;
  const need = `the package ${pkg}; install it with: ${INSTALL.webgpu}`;
  if (findBackendFactory('webgpu') == null) await importBackendPackage(ctx, pkg, need);
  if (findBackendFactory('webgpu') == null) {
    // tfjs-backend-webgpu registers itself only if navigator.gpu existed when it was first imported.
    throw new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
      `@advtrain/backends: backend "${ctx.requested}" found no registered "webgpu" backend: ${pkg} was imported before ` +
      'navigator.gpu existed; call prepareBackend before importing it.', { backend: ctx.requested, packageName: pkg });
  }
  await activate(ctx, 'webgpu', pkg);
  return { backend: 'webgpu', packageName: pkg, software: adapter.software, kernelsPatched: [], device: `WebGPU: ${adapter.description}` };
}

export function hasWebGlHost(): boolean {
  const g = globalThis as { document?: unknown; OffscreenCanvas?: unknown };
  return g.document !== undefined || g.OffscreenCanvas !== undefined;
}

export async function loadWebGl(ctx: LoaderContext): Promise<LoadedBackend> {
  const pkg = '@tensorflow/tfjs-backend-webgl';
  await importBackendPackage(ctx, pkg, `the package ${pkg} and a browser (WebGL); install it with: ${INSTALL.webgl}`);
  if (!hasWebGlHost()) {
    throw new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
      `@advtrain/backends: backend "${ctx.requested}" needs a browser or worker with WebGL; this runtime has no document or OffscreenCanvas. ` +
      'In Node use "webgpu" or "tensorflow".', { backend: ctx.requested, packageName: pkg });
  }
  await activate(ctx, 'webgl', pkg);
  const version = env().getNumber('WEBGL_VERSION');
  return { backend: 'webgl', packageName: pkg, software: false, kernelsPatched: [], device: `WebGL ${version}` };
}

/** tfjs-node-gpu first (CUDA), then tfjs-node (CPU) unless `gpuOnly`. */
export async function loadTensorflow(ctx: LoaderContext, gpuOnly: boolean): Promise<LoadedBackend> {
  const gpu = '@tensorflow/tfjs-node-gpu';
  const cpu = '@tensorflow/tfjs-node';
  const need = `the package ${gpu} (CUDA 11.2, cuDNN 8.1)${gpuOnly ? '' : ` or ${cpu}`}; install it with: ${INSTALL.tensorflowGpu}`;
  let loaded = gpu;
  try {
    await importBackendPackage(ctx, gpu, need);
  } catch (error) {
    if (gpuOnly || (error as BackendError).code !== 'ADVTRAIN_BACKEND_PACKAGE_MISSING') throw error;
    loaded = cpu;
    await importBackendPackage(ctx, cpu, need);
  }
  await activate(ctx, 'tensorflow', loaded);
  const device = loaded === gpu ? 'libtensorflow 2.9.1 with CUDA (tfjs-node-gpu)' : 'libtensorflow 2.9.1 CPU (tfjs-node)';
  return { backend: 'tensorflow', packageName: loaded, software: loaded === cpu, kernelsPatched: [], device };
}
