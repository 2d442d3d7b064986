import {
  backend_util, Conv2D, Conv2DBackpropFilter, Transpose,
  type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { conv2dFilterGradSimd } from './simd/conv2d-filter-grad.js';
import { cropHW, release, run, shape4D, type WasmBackendLike } from './wasm-ops.js';

interface BackpropFilterArgs {
  inputs: { x?: TensorInfo; dy?: TensorInfo };
  attrs: Conv2DBackpropFilterAttrs;
  backend: WasmBackendLike;
}

function filterGeometry({ inputs, attrs }: BackpropFilterArgs) {
  const x = inputs.x!;
  const dy = inputs.dy!;
  if (attrs.dataFormat === 'NCHW') {
    throw new Error('@advtrain/backends: Conv2DBackpropFilter on wasm supports dataFormat "NHWC" only (received "NCHW").');
  }
  const info = backend_util.computeConv2DInfo(
    shape4D(x, Conv2DBackpropFilter, 'x'), attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return { x, dy, info };
}

/**
 * dW as one native conv2d: x becomes the input with batch and channel axes swapped
 * ([C_in, H, W, B]), dy becomes the filter ([oh, ow, B, C_out]) and the forward stride
 * becomes the dilation. The result [C_in, kh', kw', C_out] is cropped to the filter
 * size and transposed to [kh, kw, C_in, C_out].
 */
export function conv2DBackpropFilterViaConv2D(args: BackpropFilterArgs): TensorInfo {
  const { x, dy, info } = filterGeometry(args);
  return viaConv2D(args.backend, x, dy, info);
}

function viaConv2D(backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  // Only the rows/columns the forward pass reached need padding; extra output is cropped below.
  const bottom = Math.max(0, (info.outHeight - 1) * sh + kh - info.inHeight - padInfo.top);
  const right = Math.max(0, (info.outWidth - 1) * sw + kw - info.inWidth - padInfo.left);

  const xT = run(backend, Transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = run(backend, Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const conv = run(backend, Conv2D, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]],
    dilations: [sh, sw],
    dataFormat: 'NHWC',
  });
  release(backend, xT, dyT);
  let cropped = conv;
  if (conv.shape[1] !== kh || conv.shape[2] !== kw) {
    cropped = cropHW(backend, conv, [0, 0], [kh, kw]);
    release(backend, conv);
  }
  const dw = run(backend, Transpose, { x: cropped }, { perm: [1, 2, 0, 3] });
  release(backend, cropped);
  return dw;
}

/** dW by the WebAssembly SIMD module where it applies (C_out a multiple of 4), else as one conv2d. */
export function conv2DBackpropFilterSimd(args: BackpropFilterArgs): TensorInfo {
  const { x, dy, info } = filterGeometry(args);
  return conv2dFilterGradSimd(args.backend, x, dy, info) ?? viaConv2D(args.backend, x, dy, info);
}

export const conv2DBackpropFilterSimdConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterSimd as unknown as KernelFunc,
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterViaConv2D as unknown as KernelFunc,
};
