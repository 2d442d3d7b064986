import { ClipByValue, Multiply, Sign, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { signSimd } from './simd/elementwise.js';
import { release, run, runOriginal, scalarInfo, type WasmBackendLike } from './wasm-ops.js';

/** 2^75 twice: lifts the smallest float32 denormal (2^-149) above 1, so every nonzero x saturates. */
const LIFT = 2 ** 75;

interface SignArgs { inputs: { x?: TensorInfo }; backend: WasmBackendLike }

/**
 * Sign of float32 as three XNNPACK elementwise ops, clip(x·2^75·2^75, -1, 1), where our SIMD module is
 * not loaded. tfjs-backend-wasm 4.22's Sign is a scalar loop, while these ops are vectorised, and it
 * returns 0 for |x| below about 1.2e-38, where cpu returns ±1; this kernel agrees with cpu there. NaN
 * gives -1 (XNNPACK's clamp), where cpu gives 0: either way a NaN gradient has already spoiled the
 * step, and a NaN-propagating max/min would be slower on wasm.
 */
export function signViaSaturation(args: SignArgs): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x!;
  if (x.dtype !== 'float32') return runOriginal(Sign, args);
  const lift = scalarInfo(backend, LIFT);
  const once = run(backend, Multiply, { a: x, b: lift });
  const twice = run(backend, Multiply, { a: once, b: lift });
  const out = run(backend, ClipByValue, { x: twice }, { clipValueMin: -1, clipValueMax: 1 });
  release(backend, lift, once, twice);
  return out;
}

/** Sign in one pass of our SIMD module (equal to cpu, NaN included), else `signViaSaturation`; ints keep the original. */
function signFast(args: SignArgs): TensorInfo {
  return signSimd(args.backend, args.inputs.x!) ?? signViaSaturation(args);
}

export const signConfig: KernelConfig = {
  kernelName: Sign,
  backendName: 'wasm',
  kernelFunc: signFast as unknown as KernelFunc,
};
