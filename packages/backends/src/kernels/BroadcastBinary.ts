import { Add, Multiply, Sub, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { broadcastBinarySimd, type BinaryOp } from './simd/broadcast.js';
import { runOriginal } from './wasm-ops.js';

interface BinaryArgs { inputs: { a: TensorInfo; b: TensorInfo }; backend: object }

/**
 * Add, Sub and Multiply with a repeated operand (a layer's bias, a mask or a scale per example or
 * token) in one pass of our SIMD module; every other case keeps tfjs-backend-wasm's kernel.
 */
function broadcasting(kernelName: string, op: BinaryOp): KernelConfig {
  const kernelFunc = (args: BinaryArgs): TensorInfo =>
    broadcastBinarySimd(args.backend, args.inputs.a, args.inputs.b, op) ?? runOriginal(kernelName, args);
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

export const addConfig = broadcasting(Add, 'add');
export const subConfig = broadcasting(Sub, 'sub');
export const multiplyConfig = broadcasting(Multiply, 'mul');
