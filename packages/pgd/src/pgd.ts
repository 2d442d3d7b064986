import {
  addAdversarialTerm, advanceWhereCorrect, ascentStep, createRng, defineStrategy, epsilonScaleOf, maskedUniformInit, mixSeed,
  probe, randomBallStart, type PerturbationStrategy, type RngState, type StepContext,
} from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';
import { resolvePgdOptions, type PgdOptions, type ResolvedPgdOptions } from './options.js';

/** State between steps: the random stream of the random start. */
export interface PgdState {
  readonly rng: RngState;
}

/** Salt that separates this strategy's random stream from others seeded by the same run seed. */
const SALT = 0x96d;

function start(ctx: StepContext, o: ResolvedPgdOptions, rng: RngState): [tf.Tensor, RngState] {
  if (!o.randomStart) return [tf.fill(ctx.view.siteShape(ctx.batch), 0), rng];
  const scale = epsilonScaleOf(ctx);
  if (o.initMagnitude === null) return randomBallStart(ctx, rng, o.norm, o.epsilon * scale);
  const mask = ctx.view.siteMask(ctx.batch);
  const result = maskedUniformInit(rng, ctx.view.siteShape(ctx.batch), mask, o.initMagnitude * scale, 'l2');
  mask?.dispose();
  return result;
}

/**
 * PGD adversarial training (Madry et al., 2018).
 *
 * Inner max: δ₀ (random start, clamped to the valid range), then K times
 * `δ ← Π_ε(δ + a·sign(g))` (L∞) or `δ ← Π_ε(δ + a·g/(‖g‖₂ + 1e-10))` (L2),
 * each followed by `clamp(x + δ, lo, hi) − x`. The attack passes compute only
 * ∂L/∂δ; no parameter gradient is formed. With `earlyStop`, each step moves δ
 * only for the examples the model still classifies correctly at the current δ.
 * Outer min: `ℓ(f(x + δ_K), y)` only; no clean term.
 *
 * ```ts
 * const trainer = new Trainer(pgd({ epsilon: 0.3, stepSize: 0.01, steps: 40 }), { view, optimizer });
 * ```
 */
export function pgd(options: PgdOptions = {}): PerturbationStrategy<ResolvedPgdOptions, PgdState> {
  const o = resolvePgdOptions(options);
  const radius = o.epsilon > 0 ? o.epsilon : null;
  const training = o.attackMode === 'train';
  return defineStrategy<ResolvedPgdOptions, PgdState>({
    name: 'pgd',
    options: o,
    capabilities: {
      sites: ['input', 'embedding'],
      threat: radius === null ? { norm: 'none', epsilon: null } : { norm: o.norm, epsilon: radius },
      passesPerBatch: { full: o.steps + 1 },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      const scale = epsilonScaleOf(ctx);
      const step = { norm: o.norm, stepSize: o.stepSize * scale, epsilon: radius === null ? null : radius * scale };
      let [delta, rng] = start(ctx, o, state.rng);
      for (let t = 0; t < o.steps; t++) {
        const { loss, deltaGrad, logits } = probe(ctx, { delta, wrtDelta: true, training, keepLogits: o.earlyStop });
        let next = ascentStep(ctx, delta, deltaGrad as tf.Tensor, step);
        if (logits) {
          const moved = next;
          next = advanceWhereCorrect(logits, ctx.batch.y, delta, moved);
          tf.dispose([moved, logits]);
        }
        tf.dispose([loss, deltaGrad as tf.Tensor, delta]);
        delta = next;
      }
      return { delta, state: { rng } };
    },
    outerMin: (ctx, inner) => ({ ...addAdversarialTerm(ctx, inner.delta, 1), state: inner.state }),
    rngState: true,
  });
}
