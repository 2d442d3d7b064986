import { FUSED_KERNELS } from '@advtrain/core';
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { simdKernelsOf, type SimdKernels } from './simd/module.js';
import { release, type WasmBackendLike } from './wasm-ops.js';

interface Args<I, A = Record<string, never>> { inputs: I; attrs: A; backend: object }

function moduleOf(backend: object, kernel: string): SimdKernels {
  const simd = simdKernelsOf(backend);
  if (simd === undefined) {
    throw new BackendError('ADVTRAIN_BACKEND_INIT_FAILED',
      `@advtrain/backends: kernel "${kernel}" needs advtrain's SIMD module, which is not loaded on this wasm backend; `
      + 'call prepareBackend(\'wasm\') (it registers the kernel only where the module loads).', { backend: 'wasm' });
  }
  return simd;
}

/** A new float32 tensor of `shape`, and `fill(out, size)` run on it unless it is empty. */
function output(simd: SimdKernels, shape: number[], fill: (out: number, size: number) => void): TensorInfo {
  const out = simd.allocate(shape);
  const size = util.sizeFromShape(shape);
  if (size > 0) fill(simd.offsetOf(out), size);
  return out;
}

function randomUniform({ attrs, backend }: Args<object, { shape: number[]; seed: number; lo: number; hi: number }>): TensorInfo {
  const simd = moduleOf(backend, FUSED_KERNELS.randomUniform);
  return output(simd, attrs.shape.slice(), (out, size) => simd.exports.randomUniform(out, size, attrs.seed, attrs.lo, attrs.hi));
}

function randomNormal({ attrs, backend }: Args<object, { shape: number[]; seed: number; mean: number; std: number }>): TensorInfo {
  const simd = moduleOf(backend, FUSED_KERNELS.randomNormal);
  // Scratch for the ziggurat's three tables of 128 float64 values, rebuilt per call (microseconds).
  const tables = simd.allocate([768]);
  const out = output(simd, attrs.shape.slice(), (at, size) =>
    simd.exports.randomNormal(at, size, attrs.seed, attrs.mean, attrs.std, simd.offsetOf(tables)));
  release(backend as WasmBackendLike, tables);
  return out;
}

function signStep({ inputs, attrs, backend }: Args<{ delta: TensorInfo; grad: TensorInfo; x?: TensorInfo },
  { stepSize: number; epsilon: number; lo: number; hi: number }>): TensorInfo {
  const simd = moduleOf(backend, FUSED_KERNELS.signStep);
  const { delta, grad, x } = inputs;
  const x0 = x === undefined || util.sizeFromShape(x.shape) === 0 ? 0 : simd.offsetOf(x);
  return output(simd, delta.shape.slice(), (out, size) => simd.exports.signStep(simd.offsetOf(delta), simd.offsetOf(grad), x0, out, size,
    attrs.stepSize, attrs.epsilon, attrs.lo, attrs.hi));
}

function sumOfSquares({ inputs, attrs, backend }: Args<{ x: TensorInfo }, { axes: number[] }>): TensorInfo {
  const simd = moduleOf(backend, FUSED_KERNELS.sumOfSquares);
  const { shape } = inputs.x;
  const lead = shape.length - attrs.axes.length;
  if (!attrs.axes.every((axis, i) => axis === lead + i)) {
    throw new RangeError(`@advtrain/backends: ${FUSED_KERNELS.sumOfSquares} reduces trailing axes only; `
      + `received axes [${attrs.axes}] for shape [${shape}].`);
  }
  const rows = util.sizeFromShape(shape.slice(0, lead));
  const cols = util.sizeFromShape(shape.slice(lead));
  const kept = shape.map((d, i) => (i < lead ? d : 1));
  return output(simd, kept, (out) => simd.exports.sumOfSquares(simd.offsetOf(inputs.x), out, rows, cols));
}

function scaledAdd({ inputs, backend }: Args<{ a: TensorInfo; b: TensorInfo; scale: TensorInfo }>): TensorInfo {
  const simd = moduleOf(backend, FUSED_KERNELS.scaledAdd);
  const { a, b, scale } = inputs;
  const rows = util.sizeFromShape(scale.shape);
  return output(simd, a.shape.slice(), (out, size) => simd.exports.scaledAdd(simd.offsetOf(a), simd.offsetOf(b), simd.offsetOf(scale), out,
    rows, size / rows));
}

const config = (kernelName: string, kernelFunc: unknown): KernelConfig =>
  ({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc });

/**
 * @advtrain/core's fused δ-update kernels, registered under its `FUSED_KERNELS` names (core owns the
 * names and what each kernel computes, as tfjs-core owns kernel names for its backends), as single
 * passes of our SIMD module. Core calls them only with float32 inputs, and `syncDeltaUpdateKernels`
 * registers them only while the module serves the wasm backend; elsewhere core composes tfjs ops with
 * the same values.
 */
export const DELTA_UPDATE_KERNELS: readonly KernelConfig[] = [
  config(FUSED_KERNELS.randomUniform, randomUniform),
  config(FUSED_KERNELS.randomNormal, randomNormal),
  config(FUSED_KERNELS.signStep, signStep),
  config(FUSED_KERNELS.sumOfSquares, sumOfSquares),
  config(FUSED_KERNELS.scaledAdd, scaledAdd),
];
