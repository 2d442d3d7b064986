// VAT — Virtual Adversarial Training (Miyato et al., TPAMI 2018, arXiv:1704.03976),
// written in one file against the public @advtrain/core contract. See docs/writing-a-strategy.md.
import * as tf from '@tensorflow/tfjs-core';
import {
  addGrads, checkOptions, createRng, defineStrategy, linfNorm, probe, randomNormal, reductionAxes,
} from '@advtrain/core';

/** Defaults of takerum/vat_tf (ξ = 1e-6, one power iteration, α = 1); ε depends on the data (8.0 on ZCA CIFAR-10). */
export const VAT_DEFAULTS = Object.freeze({ epsilon: 2.0, xi: 1e-6, powerIterations: 1, regWeight: 1 });

/** unit(v) of vat_tf: per example, divide by max|v| (so tiny values survive squaring), then by the L2 norm. */
function unit(v) {
  return tf.tidy(() => {
    const scaled = tf.div(v, tf.add(linfNorm(v, 'example'), 1e-12));
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(scaled), reductionAxes(v.rank, 'example'), true), 1e-6));
    return tf.div(scaled, norm);
  });
}

/** KL(q ‖ softmax(logits)), batch mean; q (as log-probabilities) is a constant: the clean distribution, stop-gradiented. */
const klFrom = (logQ) => (logits) => tf.tidy(() =>
  tf.mean(tf.sum(tf.mul(tf.exp(logQ), tf.sub(logQ, tf.logSoftmax(logits))), -1)));

/**
 * VAT as a PerturbationStrategy. Inner max: power iteration for the direction
 * the clean distribution is most sensitive to; r = ε · unit(d). Outer min:
 * CE(f(x), y) + regWeight · KL(q ‖ f(x + r)).
 */
export function vat(options = {}) {
  const o = checkOptions('@advtrain/vat', options, VAT_DEFAULTS)
    .positive('epsilon').positive('xi').integer('powerIterations', { min: 1 }).nonNegative('regWeight').done();
  return defineStrategy({
    name: 'vat',
    options: o,
    capabilities: {
      sites: ['input'],
      threat: { norm: 'l2', epsilon: o.epsilon },
      passesPerBatch: { full: 2 + o.powerIterations },
      respectsValidRange: false, // the reference does not clamp x + r; every other capability is the default
    },
    init: ({ seed }) => ({ rng: createRng(seed) }),
    innerMax(ctx, state) {
      // 1. q = softmax(sg(f(x))): a forward pass only; batch statistics not updated (as vat_tf).
      const clean = probe(ctx, { keepLogits: true, preserveStatistics: true });
      const logQ = tf.logSoftmax(clean.logits);
      clean.logits.dispose(); // probe hands its outputs to the caller (tf.keep): free what we do not return
      // 2. d ~ N(0, I), from the strategy's own seeded generator (state, so runs are reproducible).
      let [d, rng] = randomNormal(state.rng, ctx.view.siteShape(ctx.batch));
      // 3. Power iteration: d ← ∂KL(q ‖ f(x + ξ·unit(d)))/∂d, parameter gradients never requested.
      for (let i = 0; i < o.powerIterations; i++) {
        const { loss, deltaGrad } = probe(ctx, {
          delta: tf.mul(unit(d), o.xi), wrtDelta: true, objective: klFrom(logQ), preserveStatistics: true });
        loss.dispose();
        d = deltaGrad;
      }
      // 4. r_vadv = ε · unit(d).
      return { delta: tf.mul(unit(d), o.epsilon), loss: clean.loss, extras: { logQ }, state: { rng } };
    },
    outerMin(ctx, inner) {
      // 5. CE on the clean batch plus regWeight · LDS at x + r_vadv; gradients add.
      const task = probe(ctx, { wrtParams: true });
      const lds = probe(ctx, {
        delta: inner.delta, wrtParams: true, objective: klFrom(inner.extras.logQ), scale: o.regWeight, preserveStatistics: true });
      const loss = tf.add(task.loss, tf.mul(lds.loss, o.regWeight));
      tf.dispose([task.loss, lds.loss]);
      return { loss, grads: addGrads(task.paramGrads, lds.paramGrads), state: inner.state };
    },
    // The state is { rng } and nothing else: defineStrategy saves and restores it.
    rngState: true,
  });
}
