import { Multiply, Step, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { reluGradSimd } from './simd/elementwise.js';
import { release, run, type WasmBackendLike } from './wasm-ops.js';

/** Our kernel name for Relu's gradient (inputs x and dy). */
export const RELU_GRAD = 'AdvtrainReluGrad';

interface ReluGradArgs {
  inputs: { x?: TensorInfo; dy?: TensorInfo };
  backend: WasmBackendLike;
}

/**
 * dy · step(x), tfjs's Relu gradient, in one pass of our SIMD module (a Step, a Cast and a Multiply
 * otherwise, three passes over the activation, and every conv layer's backward pass has one).
 */
function reluGrad(args: ReluGradArgs): TensorInfo {
  const { inputs, backend } = args;
  return reluGradSimd(backend, inputs.x!, inputs.dy!) ?? reluGradViaStep(args);
}

/** The same product from the Step and Multiply kernels (without our SIMD module). */
export function reluGradViaStep({ inputs, backend }: ReluGradArgs): TensorInfo {
  const step = run(backend, Step, { x: inputs.x! }, { alpha: 0 });
  const out = run(backend, Multiply, { a: inputs.dy!, b: step });
  release(backend, step);
  return out;
}

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelFunc,
};
