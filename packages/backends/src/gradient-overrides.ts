import {
  ClipByValue, div, engine, fill, getBackend, getGradient, getKernel, greaterEqual, lessEqual, logicalAnd, Mean, mul,
  registerGradient, Relu, reshape, step, Sum, util, where, zerosLike,
  type ClipByValueAttrs, type GradConfig, type NamedAttrMap, type Tensor,
} from '@tensorflow/tfjs-core';
import { CLIP_BY_VALUE_GRAD } from './kernels/ClipByValueGrad.js';
import { RELU_GRAD } from './kernels/ReluGrad.js';

/** dy of a Sum or Mean reshaped to keep the reduced axes, times ones of x's shape (tfjs's math). */
function broadcastToInput(dy: Tensor, x: Tensor, attrs: NamedAttrMap): { broadcast: Tensor; count: number } {
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((n, axis) => n * x.shape[axis]!, 1);
  // tf.fill runs on the backend (a native fill on wasm); tfjs's gradient builds the ones as a JS array
  // and uploads it, one JavaScript write per element of x on every backward pass.
  return { broadcast: mul(reshape(dy, expanded), fill(x.shape, 1, 'float32')), count };
}

const sumGrad: GradConfig = {
  kernelName: Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => ({ x: () => broadcastToInput(dy as Tensor, saved[0]!, attrs).broadcast }),
};

const meanGrad: GradConfig = {
  kernelName: Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => ({
    x: () => {
      const { broadcast, count } = broadcastToInput(dy as Tensor, saved[0]!, attrs);
      return div(broadcast, count);
    },
  }),
};

/** x's gradient by our wasm kernel `kernel` (inputs x and dy) when wasm is active and it is registered, else null. */
function onWasm(kernel: string, x: Tensor, dy: Tensor, attrs: NamedAttrMap = {}): { x: () => Tensor } | null {
  if (getBackend() !== 'wasm' || getKernel(kernel, 'wasm') === undefined) return null;
  return { x: () => engine().runKernel(kernel, { x, dy }, attrs) as Tensor };
}

/**
 * ClipByValue's gradient passes dy where lo ≤ x ≤ hi. tfjs builds that mask from GreaterEqual,
 * LessEqual, LogicalAnd and Select, four scalar loops on wasm, each writing an intermediate tensor.
 * On wasm it runs our kernel
 * `AdvtrainClipByValueGrad` (kernels/ClipByValueGrad.ts: one SIMD pass, or a mask of XNNPACK ops);
 * elsewhere tfjs's gradient, or the same mask where tfjs registered none.
 */
function clipGrad(original: GradConfig | undefined): GradConfig {
  return {
    kernelName: ClipByValue,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0]!;
      const { clipValueMin, clipValueMax } = attrs as unknown as ClipByValueAttrs;
      return onWasm(CLIP_BY_VALUE_GRAD, x, dy as Tensor, { clipValueMin, clipValueMax })
        ?? original?.gradFunc(dy, saved, attrs)
        ?? { x: () => where(logicalAnd(greaterEqual(x, clipValueMin), lessEqual(x, clipValueMax)), dy as Tensor, zerosLike(dy as Tensor)) };
    },
  };
}

/**
 * Relu's gradient, dy · step(x): tfjs runs a Step, a Cast and a Multiply over the activation, three
 * passes. On wasm it runs our kernel `AdvtrainReluGrad` (one SIMD pass, same values);
 * elsewhere tfjs's gradient, or the same product where tfjs registered none.
 */
function reluGrad(original: GradConfig | undefined): GradConfig {
  return {
    kernelName: Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => onWasm(RELU_GRAD, saved[0]!, dy as Tensor)
      ?? original?.gradFunc(dy, saved, attrs)
      ?? { x: () => mul(dy as Tensor, step(saved[0]!)) },
  };
}

const ours = new Set<GradConfig>([sumGrad, meanGrad]);

/**
 * Replaces tfjs's Sum and Mean gradients by the same math with the ones tensor made on the backend,
 * and ClipByValue's and Relu's by our kernels on wasm. Called after tfjs-layers registered its
 * gradients (a later registration wins). Returns the kernel names whose gradients were replaced.
 */
export function registerBackendGradients(): string[] {
  const replaced: string[] = [];
  const clip = getGradient(ClipByValue);
  const relu = getGradient(Relu);
  const configs = [
    sumGrad, meanGrad,
    ...(clip !== undefined && ours.has(clip) ? [] : [clipGrad(clip)]),
    ...(relu !== undefined && ours.has(relu) ? [] : [reluGrad(relu)]),
  ];
  for (const config of configs) {
    if (getGradient(config.kernelName) === config) continue;
    registerGradient(config);
    ours.add(config);
    replaced.push(config.kernelName);
  }
  return replaced;
}
