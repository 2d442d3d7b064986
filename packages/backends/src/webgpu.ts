import { BackendError } from './errors.js';
import { isModuleNotFound, type ModuleImporter } from './importer.js';
import { INSTALL } from './names.js';
import { findSwiftShaderIcd } from './swiftshader.js';
import { isNode } from './runtime.js';

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: object): Promise<AdapterLike | null>;
}
interface WebGpuPackage {
  create(flags: string[]): GpuLike;
  globals: object;
}

/** The WebGPU adapter {@link installWebGpu} found. */
export interface WebGpuAdapterReport {
  /** Human-readable adapter name, e.g. "google swiftshader (SwiftShader driver 5.0.0)". */
  description: string;
  /** True for software adapters (SwiftShader, lavapipe, llvmpipe, fallback adapters). */
  software: boolean;
  /** Where navigator.gpu came from. */
  source: 'navigator' | 'webgpu-package';
}


function getNavigatorGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu ?? undefined;
}

function setNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator !== undefined) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

function describe(adapter: AdapterLike): { description: string; software: boolean } {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture].filter((p) => p !== undefined && p !== '');
  const description = `${parts.join(' ') || 'unknown adapter'}${info.description ? ` (${info.description})` : ''}`;
  const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true ||
    /swiftshader|lavapipe|llvmpipe|software/i.test(`${description} ${info.device ?? ''}`);
  return { description, software };
}

async function loadWebGpuPackage(importModule: ModuleImporter, backend: string): Promise<WebGpuPackage> {
  try {
    return (await importModule('webgpu')) as WebGpuPackage;
  } catch (cause) {
    if (!isModuleNotFound(cause, 'webgpu')) throw cause;
    throw new BackendError('ADVTRAIN_BACKEND_PACKAGE_MISSING',
      `@advtrain/backends: backend "${backend}" in Node needs the package webgpu (Dawn, provides navigator.gpu); ` +
      `install it with: ${INSTALL.webgpuNode}`, { backend, packageName: 'webgpu', cause });
  }
}

/**
 * Makes sure `navigator.gpu` exists and has an adapter. In Node it installs Dawn from the `webgpu`
 * package; with `swiftShader` it retries with Chromium's SwiftShader ICD when no adapter is found
 * and VK_ICD_FILENAMES is unset. Returns undefined when there is no adapter.
 */
export async function installWebGpu(
  importModule: ModuleImporter,
  options: { backend: string; swiftShader: boolean },
): Promise<WebGpuAdapterReport | undefined> {
  const existing = getNavigatorGpu();
  if (existing !== undefined) {
    const adapter = await existing.requestAdapter();
    return adapter === null ? undefined : { ...describe(adapter), source: 'navigator' };
  }
  if (!isNode()) return undefined;
  const webgpu = await loadWebGpuPackage(importModule, options.backend);
  Object.assign(globalThis, webgpu.globals);
  let gpu = webgpu.create([]);
  let adapter = await gpu.requestAdapter();
  const env = globalThis.process.env;
  if (adapter === null && options.swiftShader && !env['VK_ICD_FILENAMES']) {
    const icd = findSwiftShaderIcd();
    if (icd !== undefined) {
      // The Vulkan loader rescans ICDs for each new Dawn instance, so setting this now works.
      env['VK_ICD_FILENAMES'] = icd;
      gpu = webgpu.create([]);
      adapter = await gpu.requestAdapter();
    }
  }
  if (adapter === null) return undefined;
  setNavigatorGpu(gpu);
  return { ...describe(adapter), source: 'webgpu-package' };
}
