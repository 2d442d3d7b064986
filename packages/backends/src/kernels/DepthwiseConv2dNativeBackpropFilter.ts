import {
  backend_util, DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropFilter, Reshape, Slice, Sum, Transpose,
  type DepthwiseConv2dNativeBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { pair, release, run, shape4D, type WasmBackendLike } from './wasm-ops.js';

/**
 * Depthwise dW as one native depthwise conv: every (channel, example) pair becomes its own
 * channel of a batch-1 input, dy supplies one filter per pair, forward stride and dilation
 * swap roles; the per-example results are then summed.
 */
export function depthwiseConv2dNativeBackpropFilterViaDepthwise(args: {
  inputs: { x?: TensorInfo; dy?: TensorInfo };
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x!;
  const dy = inputs.dy!;
  const [b, h, w, c] = shape4D(x, DepthwiseConv2dNativeBackpropFilter, 'x');
  const info = backend_util.computeConv2DInfo(
    [b, h, w, c], attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const [dh, dw] = pair(attrs.dilations);
  const mult = attrs.filterShape[3];
  const [, oh, ow] = shape4D(dy, DepthwiseConv2dNativeBackpropFilter, 'dy');
  const bottom = Math.max(0, (oh - 1) * sh + (kh - 1) * dh + 1 - h - padInfo.top);
  const right = Math.max(0, (ow - 1) * sw + (kw - 1) * dw + 1 - w - padInfo.left);

  // x [b, h, w, c] -> [1, h, w, c*b]; dy [b, oh, ow, c*m] -> [oh, ow, c*b, m]
  const xT = run(backend, Transpose, { x }, { perm: [1, 2, 3, 0] });
  const xIn = run(backend, Reshape, { x: xT }, { shape: [1, h, w, c * b] });
  const dy5 = run(backend, Reshape, { x: dy }, { shape: [b, oh, ow, c, mult] });
  const dyT = run(backend, Transpose, { x: dy5 }, { perm: [1, 2, 3, 0, 4] });
  const dyF = run(backend, Reshape, { x: dyT }, { shape: [oh, ow, c * b, mult] });
  release(backend, xT, dy5, dyT);
  const conv = run(backend, DepthwiseConv2dNative, { x: xIn, filter: dyF }, {
    strides: [dh, dw],
    pad: [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]],
    dilations: [sh, sw],
    dataFormat: 'NHWC',
  });
  release(backend, xIn, dyF);
  let cropped = conv;
  if (conv.shape[1] !== kh || conv.shape[2] !== kw) {
    cropped = run(backend, Slice, { x: conv }, { begin: [0, 0, 0, 0], size: [1, kh, kw, c * b * mult] });
    release(backend, conv);
  }
  const perExample = run(backend, Reshape, { x: cropped }, { shape: [kh, kw, c, b, mult] });
  const summed = run(backend, Sum, { x: perExample }, { axis: [3], keepDims: false });
  release(backend, cropped, perExample);
  return summed;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilterViaDepthwise as unknown as KernelFunc,
};
