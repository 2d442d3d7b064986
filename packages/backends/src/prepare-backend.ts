import { registerAdvtrainGradients } from '@advtrain/core';
import { getBackend, ready } from '@tensorflow/tfjs-core';
import { BackendError } from './errors.js';
import { ensureGradients } from './gradients.js';
import { registerBackendGradients } from './gradient-overrides.js';
import { defaultImporter, type ModuleImporter } from './importer.js';
import type { WasmTrainingKernelOptions } from './kernels/register.js';
import {
  hasWebGlHost, loadCpu, loadTensorflow, loadWasm, loadWebGl, loadWebGpu,
  type LoadedBackend, type LoaderContext,
} from './loaders.js';
import { isNode } from './runtime.js';
import { checkThreadsOption, checkThreadsScriptOption } from './wasm-threads.js';
import { BACKEND_NAMES, DEFAULT_BACKEND, INSTALL, isBackendName, type BackendName } from './names.js';

/** Options of {@link prepareBackend}; every one is optional. */
export interface PrepareBackendOptions {
  /**
   * Load tfjs-layers so every gradient is registered, then replace the Sum, Mean and (on wasm)
   * ClipByValue gradients by the same math on faster kernels (`registerBackendGradients`), and register
   * @advtrain/core's gradients of its fused kernels (`registerAdvtrainGradients`). Default true.
   */
  gradients?: boolean;
  /** Options for `registerWasmTrainingKernels`, or false to keep tfjs-backend-wasm's kernels as they are. */
  wasmKernels?: WasmTrainingKernelOptions | false;
  /** 'webgpu' in Node: fall back to Chromium's SwiftShader Vulkan ICD when no adapter is found (default true). */
  swiftShader?: boolean;
  /** 'gpu': accept software adapters such as SwiftShader (default false; they are slower than wasm). */
  allowSoftwareGpu?: boolean;
  /**
   * 'wasm': how many threads run advtrain's SIMD kernels (the convolution gradients and Aᵀ·B, split so that
   * results equal one thread's bit for bit). Default: one per logical core where the runtime can share memory
   * between threads (Node, cross-origin-isolated pages), else 1. Any number above 1 loads tfjs-backend-wasm's
   * threaded SIMD build and fails with a BackendError where it cannot run; 1 loads the single-threaded build.
   * Changing it re-creates an initialised wasm backend (its tensors are lost).
   */
  threads?: number;
  /**
   * 'wasm' with `threads` above 1: the threads of XNNPACK's own pool, which runs tfjs-backend-wasm's kernels
   * (forward convolutions, matrix products, elementwise ops). Default 1: the pool hands every op to its
   * threads, small ones included, and on the models measured in docs/performance.md that costs more than it
   * saves. At most `threads`.
   */
  xnnpackThreads?: number;
  /**
   * 'wasm' in browsers: the URL where the app serves `@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js`
   * (copy it next to the .wasm files). The threaded build's workers load it; without it a page runs one thread.
   * Node finds the file itself.
   */
  wasmThreadsScript?: string | URL;
  /** How packages are loaded; tests inject one to simulate missing packages. */
  importModule?: ModuleImporter;
}

/** What {@link prepareBackend} set up. */
export interface PreparedBackend {
  /** The name that was asked for. */
  name: BackendName;
  /** The tfjs backend now active (`tf.getBackend()`). */
  backend: string;
  /** The npm package that provides it. */
  packageName: string;
  /** Kernels this package registered for the backend. */
  kernelsPatched: string[];
  /** A short description of the device, e.g. "WebGPU: google swiftshader (SwiftShader driver 5.0.0)". */
  device: string;
  /** True when the "device" is a CPU or a software rasteriser. */
  software: boolean;
  /** True when this call loaded tfjs-layers to register gradients. */
  gradientsLoaded: boolean;
  /** 'wasm': the threads of advtrain's SIMD kernels (also in `device`). */
  threads?: number;
  /** 'wasm': the threads of XNNPACK's pool (also in `device`). */
  xnnpackThreads?: number;
}

const OPTION_KEYS = ['gradients', 'wasmKernels', 'swiftShader', 'allowSoftwareGpu', 'threads', 'xnnpackThreads', 'wasmThreadsScript', 'importModule'];
const quoted = BACKEND_NAMES.map((n) => `'${n}'`).join(', ');

function check(name: unknown, options: object): asserts name is BackendName {
  if (!isBackendName(name)) {
    throw new BackendError('ADVTRAIN_UNKNOWN_BACKEND',
      `@advtrain/backends: option "name" must be one of ${quoted} (received ${JSON.stringify(name) ?? String(name)}).`, { backend: name });
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new TypeError(`@advtrain/backends: unknown option "${key}"; valid options are ${OPTION_KEYS.join(', ')}.`);
    }
  }
  const { threads, xnnpackThreads, wasmThreadsScript } = options as PrepareBackendOptions;
  checkThreadsOption(threads, xnnpackThreads);
  checkThreadsScriptOption(wasmThreadsScript);
  for (const [key, value] of Object.entries({ threads, xnnpackThreads, wasmThreadsScript })) {
    if (value !== undefined && name !== 'wasm') {
      throw new TypeError(`@advtrain/backends: option "${key}" sets up the wasm backend; backend "${name}" takes none (received ${key}: ${String(value)}).`);
    }
  }
}

async function pickGpu(ctx: LoaderContext, allowSoftware: boolean): Promise<LoadedBackend> {
  const reasons: string[] = [];
  if (isNode()) {
    try {
      return await loadTensorflow(ctx, true);
    } catch (error) {
      reasons.push(`tensorflow: ${(error as Error).message.replace(/^@advtrain\/backends: /, '')}`);
    }
  }
  try {
    const webgpu = await loadWebGpu({ ...ctx, swiftShader: allowSoftware && ctx.swiftShader }, allowSoftware);
    if (typeof webgpu !== 'string') return webgpu;
    reasons.push(`webgpu: ${webgpu}`);
  } catch (error) {
    reasons.push(`webgpu: ${(error as Error).message.replace(/^@advtrain\/backends: /, '')}`);
  }
  if (hasWebGlHost()) {
    try {
      return await loadWebGl(ctx);
    } catch (error) {
      reasons.push(`webgl: ${(error as Error).message.replace(/^@advtrain\/backends: /, '')}`);
    }
  } else {
    reasons.push('webgl: needs a browser (no document or OffscreenCanvas here)');
  }
  throw new BackendError('ADVTRAIN_NO_GPU_BACKEND',
    `@advtrain/backends: backend "gpu" found no GPU backend (tried tensorflow-gpu, webgpu, webgl). ` +
    `To fix, install one of: ${INSTALL.tensorflowGpu} (Node, NVIDIA GPU with CUDA 11.2 and cuDNN 8.1); ` +
    `${INSTALL.webgpuNode} (Node with a Vulkan, Metal or D3D12 GPU driver; in browsers ${INSTALL.webgpu}); ` +
    `${INSTALL.webgl} (browsers). Details: ${reasons.join('; ')}.`, { backend: 'gpu' });
}

/**
 * Prepares a tfjs backend by name and makes it the active one; switch backends by changing the name.
 * Also registers tfjs gradients and, for 'wasm', the missing training kernels.
 *
 * @example
 * const { backend, device } = await prepareBackend('wasm');
 */
export async function prepareBackend(name: BackendName = DEFAULT_BACKEND, options: PrepareBackendOptions = {}): Promise<PreparedBackend> {
  check(name, options);
  const ctx: LoaderContext = {
    importModule: options.importModule ?? defaultImporter,
    requested: name,
    wasmKernels: options.wasmKernels ?? {},
    swiftShader: options.swiftShader ?? true,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.xnnpackThreads === undefined ? {} : { xnnpackThreads: options.xnnpackThreads }),
    ...(options.wasmThreadsScript === undefined ? {} : { wasmThreadsScript: options.wasmThreadsScript }),
  };
  let loaded: LoadedBackend;
  switch (name) {
    case 'wasm': loaded = await loadWasm(ctx); break;
    case 'cpu': loaded = await loadCpu(ctx); break;
    case 'webgl': loaded = await loadWebGl(ctx); break;
    case 'tensorflow': loaded = await loadTensorflow(ctx, false); break;
    case 'gpu': loaded = await pickGpu(ctx, options.allowSoftwareGpu ?? false); break;
    case 'webgpu': {
      const result = await loadWebGpu(ctx, true);
      if (typeof result === 'string') {
        throw new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
          `@advtrain/backends: backend "webgpu" needs a WebGPU adapter, but ${result}. In Node install a Vulkan driver ` +
          `(or Chromium for its SwiftShader ICD and set VK_ICD_FILENAMES to its vk_swiftshader_icd.json); ` +
          'in browsers use one with WebGPU enabled.', { backend: name, packageName: 'webgpu' });
      }
      loaded = result;
      break;
    }
  }
  await ready();
  const gradientsLoaded = options.gradients === false ? false : await ensureGradients(ctx.importModule);
  if (options.gradients !== false) {
    registerBackendGradients();
    registerAdvtrainGradients();
  }
  return { name, ...loaded, backend: getBackend(), gradientsLoaded };
}
