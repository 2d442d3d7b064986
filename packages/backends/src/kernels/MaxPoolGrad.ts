import {
  backend_util, Fill, MaxPoolGrad, Min, Sub,
  type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { maxPoolGradSimd } from './simd/max-pool-grad.js';
import { release, run, shape4D, type WasmBackendLike } from './wasm-ops.js';

interface MaxPoolGradArgs {
  inputs: { dy?: TensorInfo; input?: TensorInfo; output?: TensorInfo };
  attrs: MaxPoolGradAttrs;
  backend: WasmBackendLike;
}

/**
 * tfjs-backend-wasm 4.22's MaxPoolGrad starts each window's running max at 0, so windows whose
 * max is <= 0 get no gradient. Max pooling is shift-equivariant, so we shift input and output by
 * the same constant (1 - min(input)) to make every value >= 1, then call the original kernel.
 */
export function maxPoolGradShifted(args: MaxPoolGradArgs): TensorInfo {
  const { inputs, attrs, backend } = args;
  const dy = inputs.dy!;
  const input = inputs.input!;
  const output = inputs.output!;
  const axis = input.shape.map((_, i) => i);
  const min = run(backend, Min, { x: input }, { axis, keepDims: false });
  const one = run(backend, Fill, {}, { shape: [], value: 1, dtype: 'float32' });
  const offset = run(backend, Sub, { a: min, b: one }, {});
  const shiftedInput = run(backend, Sub, { a: input, b: offset }, {});
  const shiftedOutput = run(backend, Sub, { a: output, b: offset }, {});
  release(backend, min, one, offset);
  const dx = run(backend, MaxPoolGrad, { dy, input: shiftedInput, output: shiftedOutput }, attrs);
  release(backend, shiftedInput, shiftedOutput);
  return dx;
}

/** One pass of our SIMD module where it applies (C a multiple of 4), else `maxPoolGradShifted`. */
function maxPoolGradFast(args: MaxPoolGradArgs): TensorInfo {
  const { inputs, attrs } = args;
  const info = backend_util.computePool2DInfo(shape4D(inputs.input!, MaxPoolGrad, 'input'), attrs.filterSize, attrs.strides, 1,
    attrs.pad, attrs.dimRoundingMode);
  return maxPoolGradSimd(args.backend, inputs.dy!, inputs.input!, inputs.output!, info) ?? maxPoolGradShifted(args);
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradFast as unknown as KernelFunc,
};
