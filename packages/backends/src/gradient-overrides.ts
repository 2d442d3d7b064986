import {
  abs, ClipByValue, clipByValue, div, engine, fill, getBackend, getGradient, getKernel, Mean, mul, registerGradient, Relu,
  reshape, step, sub, Sum, util, type ClipByValueAttrs, type GradConfig, type NamedAttrMap, type Tensor,
} from '@tensorflow/tfjs-core';
import { CLIP_BY_VALUE_GRAD } from './kernels/ClipByValueGrad.js';
import { RELU_GRAD } from './kernels/ReluGrad.js';

/** dy of a Sum or Mean reshaped to keep the reduced axes, times ones of x's shape (tfjs's math). */
function broadcastToInput(dy: Tensor, x: Tensor, attrs: NamedAttrMap): { broadcast: Tensor; count: number } {
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((n, axis) => n * x.shape[axis]!, 1);
  // tf.fill runs on the backend (a native fill on wasm); tfjs's gradient builds the ones as a JS array
  // and uploads it: for a [64, 128, 32] mean pool that was 13% of a text-model training step.
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

/**
 * ClipByValue's gradient passes dy where lo ≤ x ≤ hi. tfjs builds that mask from GreaterEqual,
 * LessEqual, LogicalAnd and Select, scalar loops on wasm (3.9 ms for an MNIST batch, as much as the
 * first layer's input gradient that FreeAT's replays pay). On wasm it runs our kernel (one SIMD pass
 * where the module is loaded) or, with our kernels unregistered, the mask 1 − step(|x − clip(x)|):
 * x − clip(x) is exactly 0 inside the range, boundaries included, and nonzero outside (1.2 ms).
 * Other backends keep tfjs's gradient.
 */
function clipGrad(original: GradConfig | undefined): GradConfig {
  return {
    kernelName: ClipByValue,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (getBackend() !== 'wasm' && original !== undefined) return original.gradFunc(dy, saved, attrs);
      const x = saved[0]!;
      const { clipValueMin, clipValueMax } = attrs as unknown as ClipByValueAttrs;
      if (getKernel(CLIP_BY_VALUE_GRAD, 'wasm') !== undefined) {
        return { x: () => engine().runKernel(CLIP_BY_VALUE_GRAD, { x, dy: dy as Tensor }, { clipValueMin, clipValueMax }) as Tensor };
      }
      return { x: () => mul(dy as Tensor, sub(1, step(abs(sub(x, clipByValue(x, clipValueMin, clipValueMax)))))) };
    },
  };
}

/**
 * Relu's gradient, dy · step(x): tfjs runs a Step, a Cast and a Multiply over the activation (2.7 ms for
 * [100, 26, 26, 32] on wasm). On wasm it runs our kernel (one SIMD pass, same values, NaN included);
 * other backends keep tfjs's gradient.
 */
function reluGrad(original: GradConfig | undefined): GradConfig {
  return {
    kernelName: Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (getBackend() === 'wasm' && getKernel(RELU_GRAD, 'wasm') !== undefined) {
        return { x: () => engine().runKernel(RELU_GRAD, { x: saved[0]!, dy: dy as Tensor }) as Tensor };
      }
      if (original !== undefined) return original.gradFunc(dy, saved, attrs);
      return { x: () => mul(dy as Tensor, step(saved[0]!)) };
    },
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
