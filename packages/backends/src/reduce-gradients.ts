import {
  div, fill, getGradient, Mean, mul, registerGradient, reshape, Sum, util,
  type GradConfig, type NamedAttrMap, type Tensor,
} from '@tensorflow/tfjs-core';

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
  gradFunc: (dy, saved, attrs) => {
    const { broadcast } = broadcastToInput(dy as Tensor, saved[0]!, attrs);
    return { x: () => broadcast };
  },
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
 * Replaces tfjs's Sum and Mean gradients by the same math with the ones tensor made on the backend.
 * Called after tfjs-layers registered its gradients (a later registration wins). Returns the kernel
 * names whose gradients were replaced.
 */
export function registerReduceGradients(): string[] {
  const replaced: string[] = [];
  for (const config of [sumGrad, meanGrad]) {
    if (getGradient(config.kernelName) === config) continue;
    registerGradient(config);
    replaced.push(config.kernelName);
  }
  return replaced;
}
