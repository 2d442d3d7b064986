import { engine, env, findBackendFactory, setBackend } from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { isModuleNotFound, type ModuleImporter } from './importer.js';
import {
  registerWasmTrainingKernels, syncDeltaUpdateKernels, wasmKernelsServedByUs, type WasmTrainingKernelOptions,
} from './kernels/register.js';
import { loadSimdKernels } from './kernels/simd/module.js';
import { INSTALL } from './names.js';
import { installWebGpu } from './webgpu.js';

/** What a loader reports once its backend is the active one. */
export interface LoadedBackend {
  backend: string;
  packageName: string;
  device: string;
  software: boolean;
  kernelsPatched: string[];
}

export interface LoaderContext {
  importModule: ModuleImporter;
  /** The name the app asked for ('gpu' when picking automatically). */
  requested: string;
  wasmKernels: WasmTrainingKernelOptions | false;
  swiftShader: boolean;
}

/** Imports a backend package; a missing package becomes a BackendError quoting `install`. */
export async function importBackendPackage(ctx: LoaderContext, specifier: string, need: string): Promise<void> {
  try {
    await ctx.importModule(specifier);
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

export async function loadWasm(ctx: LoaderContext): Promise<LoadedBackend> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  await importBackendPackage(ctx, pkg, `the package ${pkg}; install it with: ${INSTALL.wasm}`);
  if (ctx.wasmKernels !== false) registerWasmTrainingKernels(ctx.wasmKernels);
  await activate(ctx, 'wasm', pkg);
  const simd = await env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  // Our SIMD kernels run on the backend's heap; where they cannot load, the XNNPACK paths serve.
  const ours = ctx.wasmKernels === false ? undefined : await loadSimdKernels(engine().backend);
  const oursText = ours === undefined ? '' : `, advtrain SIMD kernels ${ours.loaded ? 'on' : `off: ${ours.reason}`}`;
  // The fused δ-update kernels can be registered only now that the module is (or is not) loaded.
  if (ours !== undefined) syncDeltaUpdateKernels();
  return {
    backend: 'wasm', packageName: pkg, software: true, kernelsPatched: ours === undefined ? [] : wasmKernelsServedByUs(),
    device: `WebAssembly CPU (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}${oursText})`,
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
