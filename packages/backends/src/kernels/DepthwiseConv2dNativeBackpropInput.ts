import {
  backend_util, DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropInput, Reshape, Reverse, Sum,
  type DepthwiseConv2dNativeBackpropInputAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { dilateAndPadDy } from './dilate-and-pad.js';
import { pair, release, run, shape4D, type WasmBackendLike } from './wasm-ops.js';

/**
 * Depthwise dx as one native depthwise conv over dy's c*m channels (multiplier 1) with the
 * spatially flipped filter, followed by a sum over the multiplier axis.
 */
export function depthwiseConv2dNativeBackpropInputViaDepthwise(args: {
  inputs: { dy?: TensorInfo; filter?: TensorInfo };
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const [kh, kw, c, mult] = shape4D(filter, DepthwiseConv2dNativeBackpropInput, 'filter');
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, [kh, kw, c, mult], attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  const [dh, dw] = pair(attrs.dilations);
  const [b, h, w] = attrs.inputShape;
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  const padded = dilateAndPadDy(backend, dy, {
    strides: [sh, sw],
    before: [ekh - 1 - padInfo.top, ekw - 1 - padInfo.left],
    after: [h + padInfo.top - (info.outHeight - 1) * sh - 1, w + padInfo.left - (info.outWidth - 1) * sw - 1],
  });
  const flipped = run(backend, Reverse, { x: filter }, { dims: [0, 1] });
  const perChannel = run(backend, Reshape, { x: flipped }, { shape: [kh, kw, c * mult, 1] });
  release(backend, flipped);
  const conv = run(backend, DepthwiseConv2dNative, { x: padded, filter: perChannel }, {
    strides: [1, 1], pad: 'valid', dilations: [dh, dw], dataFormat: 'NHWC',
  });
  release(backend, padded, perChannel);
  const split = run(backend, Reshape, { x: conv }, { shape: [b, h, w, c, mult] });
  const dx = run(backend, Sum, { x: split }, { axis: [4], keepDims: false });
  release(backend, conv, split);
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInputViaDepthwise as unknown as KernelFunc,
};
