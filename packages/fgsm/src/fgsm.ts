import {
  addAdversarialTerm, ascentStep, attackGradient, createRng, defineStrategy, epsilonScaleOf, mixSeed, randomBallStart,
  type LossFn, type PerturbationStrategy, type RngState,
} from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';
import { resolveFgsmOptions, type FgsmOptions, type ResolvedFgsmOptions } from './options.js';

/** State between steps: the random stream of the random start (unused without it). */
export interface FgsmState {
  readonly rng: RngState;
}

/** Salt that separates this strategy's random stream from others seeded by the same run seed. */
const SALT = 0xf65;

/** The task loss against the model's own predicted class (cleverhans' default without labels). */
function predictedLabelLoss(loss: LossFn): LossFn {
  return (logits, batch) => loss(logits, { ...batch, y: tf.argMax(logits, -1) });
}

/**
 * FGSM adversarial training (Goodfellow, Shlens & Szegedy, 2015), with the
 * random start of FGSM-RS (Wong, Rice & Kolter, 2020) as an option.
 *
 * Inner max: `g = ∇δ ℓ(f(x + δ₀), ŷ)`, `δ = clipInf(δ₀ + stepSize·sign(g), ε)`,
 * then `clamp(x + δ, lo, hi) − x`; `δ₀` is 0, or `U(−ε, ε)` (clamped to the
 * range unless `clampStart` is false, when the gradient is taken at x + δ₀ as drawn).
 * Outer min: `α·ℓ(f(x), y) + (1 − α)·ℓ(f(x + δ), y)`; δ is a constant. Without
 * random start and with true labels, the clean pass gives both the input
 * gradient and the clean weight gradient (2 passes per step).
 *
 * ```ts
 * const trainer = new Trainer(fgsm({ epsilon: 0.25 }), { view, optimizer });
 * ```
 */
export function fgsm(options: FgsmOptions = {}): PerturbationStrategy<ResolvedFgsmOptions, FgsmState> {
  const o = resolveFgsmOptions(options);
  const attackObjective = o.labelSource === 'predicted' ? predictedLabelLoss : null;
  const separateClean = o.alpha > 0 && (o.randomStart || attackObjective !== null);
  return defineStrategy<ResolvedFgsmOptions, FgsmState>({
    name: 'fgsm',
    options: o,
    capabilities: {
      sites: ['input', 'embedding'],
      threat: { norm: 'linf', epsilon: o.epsilon },
      passesPerBatch: { full: 1 + (separateClean ? 1 : 0) + (o.alpha < 1 ? 1 : 0) },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      const scale = epsilonScaleOf(ctx);
      let rng = state.rng;
      let start: tf.Tensor;
      if (o.randomStart) [start, rng] = randomBallStart(ctx, rng, 'linf', o.epsilon * scale, o.clampStart);
      else start = tf.fill(ctx.view.siteShape(ctx.batch), 0);
      const { deltaGrad, clean } = attackGradient(ctx, {
        delta: o.randomStart ? start : null,
        objective: attackObjective ? attackObjective(ctx.loss) : null,
        cleanWeight: o.alpha,
      });
      const delta = ascentStep(ctx, start, deltaGrad, { norm: 'linf', stepSize: o.stepSize * scale, epsilon: o.epsilon * scale });
      return { delta, grads: clean.grads, loss: clean.loss, state: { rng } };
    },
    outerMin(ctx, inner) {
      const base = { loss: inner.loss ?? null, grads: inner.grads ?? null };
      return { ...addAdversarialTerm(ctx, inner.delta, 1 - o.alpha, base), state: inner.state };
    },
    rngState: true,
  });
}
