import {
  createRng, defineStrategy, epsilonScaleOf, l2AscentStep, maskedUniformInit, mixSeed, type PerturbationStrategy, type RngState,
} from '@advtrain/core';
import type * as tf from '@tensorflow/tfjs-core';
import { resolveFreeAtNlpOptions, type FreeAtNlpOptions, type ResolvedFreeAtNlpOptions } from './options.js';
import { replay } from './replay.js';

/** Salt that separates this strategy's random stream from others seeded by the same run seed. */
const SALT = 0xf4ee;

/** What the NLP variant carries between minibatches: the stream of its random starts. */
export interface FreeAtNlpState {
  readonly rng: RngState;
}

/**
 * FreeAT as in the FreeLB repository's NLP code (`freeat_train_step`,
 * docs/strategies/free-at.md): δ is drawn afresh for every minibatch and not
 * carried to the next one.
 *
 * Inner max: δ₀ = masked `U(−1, 1)·initMagnitude/sqrt(len·H)` on real tokens (no pass).
 * Outer min: m replays, each one pass backpropagating `loss / (1 + m)`: one
 * optimizer step, then `δ ← δ + stepSize·g/‖g‖₂` per example, projected onto
 * the L2 ball of radius ε (none for ε = 0). As in {@link freeAt}, the ascent
 * shares its pass with the optimizer step, so it lives in the outer min.
 *
 * ```ts
 * const trainer = new Trainer(freeAtNlp(), { view: embeddingView, optimizer: tf.train.adam(1e-5) });
 * ```
 */
export function freeAtNlp(options: FreeAtNlpOptions = {}): PerturbationStrategy<ResolvedFreeAtNlpOptions, FreeAtNlpState> {
  const o = resolveFreeAtNlpOptions(options);
  return defineStrategy<ResolvedFreeAtNlpOptions, FreeAtNlpState>({
    name: 'free-at',
    options: o,
    capabilities: {
      sites: ['input', 'embedding'],
      threat: o.epsilon > 0 ? { norm: 'l2', epsilon: o.epsilon } : { norm: 'none', epsilon: null },
      respectsValidRange: false,
      stepsOptimizer: true,
      optimizerStepsPerBatch: o.replays,
      passesPerBatch: { full: o.replays },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      const magnitude = o.initMagnitude * epsilonScaleOf(ctx);
      const [delta, rng] = maskedUniformInit(state.rng, ctx.view.siteShape(ctx.batch), ctx.view.siteMask(ctx.batch), magnitude);
      return { delta, state: { rng } };
    },
    outerMin(ctx, inner) {
      const s = epsilonScaleOf(ctx);
      const radius = o.epsilon * s > 0 ? o.epsilon * s : null;
      const { loss, delta } = replay(ctx, inner.delta as tf.Tensor, o.replays, { scale: 1 / (1 + o.replays) },
        (d, g) => l2AscentStep(d, g, o.stepSize * s, radius));
      delta.dispose();
      return { loss, grads: null, state: inner.state };
    },
    rngState: true,
  });
}
