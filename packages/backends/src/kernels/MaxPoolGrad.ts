import {
  Fill, MaxPoolGrad, Min, Sub,
  type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { release, run, type WasmBackendLike } from './wasm-ops.js';

/**
 * tfjs-backend-wasm 4.22's MaxPoolGrad starts each window's running max at 0, so windows whose
 * max is <= 0 get no gradient. Max pooling is shift-equivariant, so we shift input and output by
 * the same constant (1 - min(input)) to make every value >= 1, then call the original kernel.
 */
export function maxPoolGradShifted(args: {
  inputs: { dy?: TensorInfo; input?: TensorInfo; output?: TensorInfo };
  attrs: MaxPoolGradAttrs;
  backend: WasmBackendLike;
}): TensorInfo {
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

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradShifted as unknown as KernelFunc,
};
