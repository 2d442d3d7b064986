import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels through which a backend package may fuse the inner max's elementwise work on δ. tfjs runs
 * each op of a composition as its own pass over the tensor; on a text model's [B, T, H] δ one such
 * pass costs a tenth of a clean step, and an ascent step makes eight. Core runs the kernel the active
 * backend registered under these names (`tf.registerKernel`) and its tfjs composition where none is
 * registered, only ever with float32 inputs. A kernel must compute what the composition computes, in
 * the same float32 operations, so that choosing it changes no value beyond the order of a sum's terms
 * (docs/backends.md lists the contract; `@advtrain/backends` registers all five on wasm). A backend
 * package imports these names rather than repeating them, and calls `registerAdvtrainGradients()` when
 * it registers the kernels.
 */
export const FUSED_KERNELS = {
  /** No inputs; attrs `{ shape, seed, lo, hi }`: `fillUniform(seed, out, lo, hi)` as a float32 tensor. */
  randomUniform: 'AdvtrainRandomUniform',
  /** No inputs; attrs `{ shape, seed, mean, std }`: `fillNormal(seed, out)`, then `mean + std · z` unless (0, 1). */
  randomNormal: 'AdvtrainRandomNormal',
  /** Inputs `{ delta, grad, x? }`, one shape; attrs `{ stepSize, epsilon, lo, hi }`: see `signAscent`. */
  signStep: 'AdvtrainSignStep',
  /** Input `{ x }`; attrs `{ axes }`, trailing axes: Σ x² over them, with kept dims. */
  sumOfSquares: 'AdvtrainSumOfSquares',
  /** Inputs `{ a, b, scale }`, scale [] or a's leading dims then 1s: `a + scale · b`. */
  scaledAdd: 'AdvtrainScaledAdd',
} as const;

/**
 * The active backend's fused kernel `name` applied to `inputs`, or null where the backend has none
 * registered or an input is not float32 (the caller then composes tfjs ops).
 */
export function runFused(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor | null {
  if (tf.getKernel(name, tf.getBackend()) === undefined) return null;
  if (Object.values(inputs).some((t) => t.dtype !== 'float32')) return null;
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * Gradients of the two fused kernels that may sit inside a tape (norms of differentiated tensors);
 * the same formulas tfjs uses for the composition.
 */
const FUSED_GRADIENTS: readonly tf.GradConfig[] = [
  {
    kernelName: FUSED_KERNELS.sumOfSquares,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(saved[0] as tf.Tensor, 2)) }),
  },
  {
    kernelName: FUSED_KERNELS.scaledAdd,
    inputsToSave: ['b', 'scale'],
    gradFunc: (dy, saved) => {
      const [b, scale] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      return {
        a: () => tf.clone(g), // never dy itself: tfjs disposes accumulated gradients (a and b may be one tensor)
        b: () => tf.mul(g, scale),
        scale: () => tf.reshape(tf.sum(tf.mul(g, b), tf.broadcast_util.getReductionAxes(scale.shape, g.shape), true), scale.shape),
      };
    },
  },
];

/**
 * Registers with tfjs-core the gradients of the fused kernels that may be differentiated
 * (`FUSED_KERNELS.sumOfSquares` and `FUSED_KERNELS.scaledAdd`). Importing core registers nothing
 * (the package has no import-time side effects); this call does, and it is idempotent: a gradient
 * already registered under one of these names, by an earlier call or by another copy of core sharing
 * the same tfjs-core, is left as it is, so repeated calls neither warn nor replace anything.
 *
 * The `Trainer` (when constructed), `probe` and `probeLayerOne` (before they differentiate) and
 * `@advtrain/backends` (when it registers the fused kernels) call it, so apps rarely need to. Call it
 * yourself when you register kernels under `FUSED_KERNELS` names and differentiate through core's ops
 * without those entry points.
 *
 * ```ts
 * import { registerAdvtrainGradients } from '@advtrain/core';
 * registerAdvtrainGradients();
 * ```
 */
export function registerAdvtrainGradients(): void {
  for (const config of FUSED_GRADIENTS) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}
