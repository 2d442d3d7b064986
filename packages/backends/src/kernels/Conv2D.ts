import {
  backend_util, Conv2D,
  type Conv2DAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { conv2dForwardSimd } from './simd/conv2d-forward.js';
import { runOriginal, shape4D, type WasmBackendLike } from './wasm-ops.js';

interface Conv2DArgs {
  inputs: { x?: TensorInfo; filter?: TensorInfo };
  attrs: Conv2DAttrs;
  backend: WasmBackendLike;
}

/**
 * Conv2D by the SIMD module's gathered kernel where it applies (NHWC, no dilation, C_out a multiple of 4),
 * split over its threads by output pixels; else tfjs-backend-wasm's XNNPACK conv. In training both the
 * input and the filter are new on every call, and XNNPACK packs the filter per operator.
 */
export function conv2DSimd(args: Conv2DArgs): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const filter = inputs.filter!;
  if (attrs.dataFormat === 'NCHW') return runOriginal(Conv2D, args);
  const info = backend_util.computeConv2DInfo(shape4D(x, Conv2D, 'x'), shape4D(filter, Conv2D, 'filter'),
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
  return conv2dForwardSimd(backend, x, filter, info) ?? runOriginal(Conv2D, args);
}

export const conv2DSimdConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2DSimd as unknown as KernelFunc,
};
