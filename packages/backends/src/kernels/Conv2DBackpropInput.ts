import {
  backend_util, Conv2D, Conv2DBackpropInput, Reverse, Transpose,
  type Conv2DBackpropInputAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { dilateAndPadDy } from './dilate-and-pad.js';
import { release, run, shape4D, type WasmBackendLike } from './wasm-ops.js';

/**
 * dx as one native (XNNPACK) conv2d: dy with (stride - 1) zeros between its rows and columns,
 * padded so that a stride-1 valid conv with the spatially flipped, in/out-swapped filter
 * lands on every input position. The built-in wasm kernel is a plain loop and much slower.
 */
export interface BackpropInputArgs {
  inputs: { dy?: TensorInfo; filter?: TensorInfo };
  attrs: Conv2DBackpropInputAttrs;
  backend: WasmBackendLike;
}

/** The inputs and conv geometry both of our Conv2DBackpropInput kernels start from (NHWC only). */
export function backpropInputGeometry({ inputs, attrs }: BackpropInputArgs) {
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  if (attrs.dataFormat === 'NCHW') {
    throw new Error('@advtrain/backends: Conv2DBackpropInput on wasm supports dataFormat "NHWC" only (received "NCHW").');
  }
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, shape4D(filter, Conv2DBackpropInput, 'filter'), attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return { dy, filter, info };
}

export function conv2DBackpropInputViaConv2D(args: BackpropInputArgs): TensorInfo {
  const { attrs, backend } = args;
  const { dy, filter, info } = backpropInputGeometry(args);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const padded = dilateAndPadDy(backend, dy, {
    strides: [sh, sw],
    before: [kh - 1 - padInfo.top, kw - 1 - padInfo.left],
    after: [
      info.inHeight + padInfo.top - (info.outHeight - 1) * sh - 1,
      info.inWidth + padInfo.left - (info.outWidth - 1) * sw - 1,
    ],
  });
  const flipped = run(backend, Reverse, { x: filter }, { dims: [0, 1] });
  const swapped = run(backend, Transpose, { x: flipped }, { perm: [0, 1, 3, 2] });
  release(backend, flipped);
  const dx = run(backend, Conv2D, { x: padded, filter: swapped }, {
    strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC',
  });
  release(backend, padded, swapped);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputViaConv2D as unknown as KernelFunc,
};
