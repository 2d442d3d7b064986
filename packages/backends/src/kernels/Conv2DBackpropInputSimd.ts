import { Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { backpropInputGeometry, type BackpropInputArgs } from './Conv2DBackpropInput.js';
import { subPixel } from './Conv2DBackpropInputSubPixel.js';
import { conv2dInputGradSimd } from './simd/conv2d-input-grad.js';

/** dx by the WebAssembly SIMD module where it applies, else by the sub-pixel XNNPACK conv. */
export function conv2DBackpropInputSimd(args: BackpropInputArgs): TensorInfo {
  const { dy, filter, info } = backpropInputGeometry(args);
  return conv2dInputGradSimd(args.backend, dy, filter, info) ?? subPixel(args.backend, dy, filter, info);
}

export const conv2DBackpropInputSimdConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputSimd as unknown as KernelFunc,
};
