import type * as tf from '@tensorflow/tfjs-core';
import type { PerturbationStrategy, StepContext } from '../contract.js';
import { defineStrategy } from '../define-strategy.js';
import { disposeGrads } from '../grad-map.js';
import { probe } from '../probe.js';

/**
 * `replays` optimizer steps on the clean gradient, each at the weights the
 * previous one left (FreeAT's replays with δ = 0), through `ctx.applyGradients`.
 * Returns the loss of the last pass. The outer min of test strategies that
 * declare `stepsOptimizer`.
 */
export function cleanReplays(ctx: StepContext, replays: number): tf.Scalar {
  let last: tf.Scalar | null = null;
  for (let i = 0; i < replays; i++) {
    last?.dispose();
    const { loss, paramGrads } = probe(ctx, { wrtParams: true });
    ctx.applyGradients(paramGrads ?? {});
    disposeGrads(paramGrads);
    last = loss;
  }
  return last as tf.Scalar;
}

/**
 * A strategy named `'self-stepping'` that steps the optimizer itself `replays`
 * times per minibatch on the clean gradient ({@link cleanReplays}) and returns
 * no gradients: the shape of FreeAT, without a perturbation, for tests of
 * trainers and loops.
 */
export function selfSteppingClean(replays = 2): PerturbationStrategy<Record<string, never>, null> {
  return defineStrategy<Record<string, never>, null>({
    name: 'self-stepping',
    options: {},
    capabilities: {
      sites: ['input'],
      threat: { norm: 'none', epsilon: null },
      stepsOptimizer: true,
      optimizerStepsPerBatch: replays,
      passesPerBatch: { full: replays },
    },
    init: () => null,
    innerMax: (_ctx, state) => ({ delta: null, state }),
    outerMin: (ctx, inner) => ({ loss: cleanReplays(ctx, replays), grads: null, state: inner.state }),
  });
}
