import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_NAMES, findSwiftShaderIcd, isBackendError, prepareBackend, registerWasmTrainingKernels,
  unregisterWasmTrainingKernels, WASM_TRAINING_KERNELS, type ModuleImporter,
} from './index.js';
import { TEST_THREADS } from './test-support/threads.js';

/** Simulates an app that did not install `missing` packages. */
function importerWithout(missing: (specifier: string) => boolean): ModuleImporter {
  return async (specifier) => {
    if (missing(specifier)) {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/index.js`), { code: 'ERR_MODULE_NOT_FOUND' });
    }
    return import(specifier);
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; packageName?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('prepareBackend', () => {
  it('defaults to wasm, registers gradients and the wasm training kernels', async () => {
    const prepared = await prepareBackend();
    expect(prepared).toMatchObject({ name: 'wasm', backend: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', software: true });
    expect(prepared.device).toMatch(/^WebAssembly CPU \(SIMD on/);
    expect(prepared.kernelsPatched.slice().sort()).toEqual(WASM_TRAINING_KERNELS.slice().sort());
    expect(tf.getGradient('Sum')).toBeDefined();
    expect(tf.getBackend()).toBe('wasm');
  });

  it('switches to cpu by changing the name', async () => {
    const prepared = await prepareBackend('cpu');
    expect(prepared).toMatchObject({ name: 'cpu', backend: 'cpu', kernelsPatched: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown name and lists the valid ones', async () => {
    const error = await rejection(prepareBackend('tpu' as never));
    expect(error.name).toBe('UnknownBackendError');
    expect(error.code).toBe('ADVTRAIN_UNKNOWN_BACKEND');
    expect(error.message).toBe(`@advtrain/backends: option "name" must be one of ${BACKEND_NAMES.map((n) => `'${n}'`).join(', ')} (received "tpu").`);
  });

  it('rejects unknown options', async () => {
    await expect(prepareBackend('cpu', { gradient: false } as never)).rejects.toThrow(/unknown option "gradient"/);
  });

  it('names the package and install command when tensorflow is not installed', async () => {
    const error = await rejection(prepareBackend('tensorflow', { importModule: importerWithout((s) => s.startsWith('@tensorflow/tfjs-node')) }));
    expect(isBackendError(error, 'ADVTRAIN_BACKEND_PACKAGE_MISSING')).toBe(true);
    expect(error.name).toBe('BackendPackageMissingError');
    expect(error.message).toBe('@advtrain/backends: backend "tensorflow" needs the package @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1) ' +
      'or @tensorflow/tfjs-node; install it with: npm install @tensorflow/tfjs-node-gpu@4.22.0');
  });

  it('tensorflow fails the same way with the real importer here (neither package is installed)', async () => {
    const error = await rejection(prepareBackend('tensorflow'));
    expect(error.code).toBe('ADVTRAIN_BACKEND_PACKAGE_MISSING');
  });

  it('"gpu" with no GPU backend says exactly what to install', async () => {
    const optional = ['@tensorflow/tfjs-node', 'webgpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-webgl'];
    const error = await rejection(prepareBackend('gpu', { importModule: importerWithout((s) => optional.some((p) => s.startsWith(p))) }));
    expect(error.name).toBe('NoGpuBackendError');
    expect(error.code).toBe('ADVTRAIN_NO_GPU_BACKEND');
    expect(error.message).toContain('npm install @tensorflow/tfjs-node-gpu@4.22.0 (Node, NVIDIA GPU with CUDA 11.2 and cuDNN 8.1)');
    expect(error.message).toContain('npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2');
    expect(error.message).toContain('npm install @tensorflow/tfjs-backend-webgl@4.22.0');
    expect(error.message).toContain('webgpu: backend "gpu" in Node needs the package webgpu');
  });

  it('webgl in Node explains that it needs a browser', async () => {
    const error = await rejection(prepareBackend('webgl'));
    expect(error.code).toBe('ADVTRAIN_BACKEND_INIT_FAILED');
    expect(error.message).toMatch(/needs a browser or worker with WebGL/);
  });

  it('keeps a wasm kernel selectable and restores the originals', async () => {
    await prepareBackend('wasm', { threads: TEST_THREADS });
    const ours = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(registerWasmTrainingKernels({ conv2dBackpropInput: 'native' })).not.toContain('Conv2DBackpropInput');
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).not.toBe(ours);
    expect(registerWasmTrainingKernels()).toContain('Conv2DBackpropInput');
    expect(registerWasmTrainingKernels()).toContain('Conv2DBackpropInput'); // idempotent
    unregisterWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('MaxPoolGrad', 'wasm')).toBeDefined();
    registerWasmTrainingKernels();
    expect(() => registerWasmTrainingKernels({ conv2dBackpropInput: 'fast' as never }))
      .toThrow(`option "conv2dBackpropInput" must be 'simd', 'sub-pixel', 'conv2d' or 'native' (received "fast")`);
    expect(() => registerWasmTrainingKernels({ conv2dBackpropFilter: 'native' as never }))
      .toThrow(`option "conv2dBackpropFilter" must be 'simd' or 'conv2d' (received "native")`);
    const dw = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    registerWasmTrainingKernels({ conv2dBackpropFilter: 'conv2d' });
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).not.toBe(dw?.kernelFunc);
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(dw?.kernelFunc);
    // Switching between our two implementations replaces the kernel; switching back restores it.
    registerWasmTrainingKernels({ conv2dBackpropInput: 'conv2d' });
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).not.toBe(ours);
    registerWasmTrainingKernels();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(ours?.kernelFunc);
  });

  it('findSwiftShaderIcd returns an existing path or undefined', () => {
    expect(findSwiftShaderIcd(['/nonexistent/vk_swiftshader_icd.json'])).toBeUndefined();
    const found = findSwiftShaderIcd();
    if (found !== undefined) expect(found).toMatch(/vk_swiftshader_icd\.json$/);
  });
});
