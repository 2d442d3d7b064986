import {
  addAdversarialTerm, attackGradient, defineStrategy, epsilonScaleOf, keepInRange, l2Norm, scaleToL2, type PerturbationStrategy,
} from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';
import { resolveFgmOptions, type FgmOptions, type ResolvedFgmOptions } from './options.js';

/**
 * The snippet's shift: `ε·g/‖g‖_F` with one norm over the whole batch, or 0
 * when the norm is 0 or NaN (a `tf.where`, no read back to the CPU).
 */
function batchShift(g: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const norm = l2Norm(g, 'batch');
    return tf.where(tf.greater(norm, 0), tf.mul(epsilon, tf.div(g, norm)), tf.zerosLike(g));
  });
}

/**
 * FGM adversarial training (Miyato, Dai & Goodfellow, 2017): one L2 step at
 * the embedding output (or the input).
 *
 * Inner max: `g = ∇δ ℓ(f(e), y)` at δ = 0; `δ = ε·g/‖g‖₂` per example with
 * Miyato's stable norm (`scope: 'batch'`: one norm for the whole batch); for
 * input sites with a valid range, `clamp(x + δ, lo, hi) − x`.
 * Outer min: `ℓ(f(e), y) + advWeight·ℓ(f(e + δ), y)`; the clean pass gives
 * both g and the clean weight gradient (2 passes per step).
 *
 * ```ts
 * const trainer = new Trainer(fgm({ epsilon: 5 }), { view: embeddingView, optimizer });
 * ```
 */
export function fgm(options: FgmOptions = {}): PerturbationStrategy<ResolvedFgmOptions, null> {
  const o = resolveFgmOptions(options);
  return defineStrategy<ResolvedFgmOptions, null>({
    name: 'fgm',
    options: o,
    capabilities: {
      sites: ['embedding', 'input'],
      // One norm over the batch bounds every example's norm too, so both scopes keep ‖δ_b‖₂ ≤ ε.
      threat: { norm: 'l2', epsilon: o.epsilon },
      passesPerBatch: { full: o.advWeight > 0 ? 2 : 1 },
    },
    init: () => null,
    innerMax(ctx, state) {
      const { deltaGrad, clean } = attackGradient(ctx, { cleanWeight: 1 });
      const epsilon = o.epsilon * epsilonScaleOf(ctx);
      const shift = o.scope === 'example' ? scaleToL2(deltaGrad, epsilon) : batchShift(deltaGrad, epsilon);
      return { delta: keepInRange(ctx, shift), grads: clean.grads, loss: clean.loss, state };
    },
    outerMin(ctx, inner) {
      const base = { loss: inner.loss ?? null, grads: inner.grads ?? null };
      return { ...addAdversarialTerm(ctx, inner.delta, o.advWeight, base), state: inner.state };
    },
  });
}
