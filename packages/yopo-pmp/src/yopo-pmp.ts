import * as tf from '@tensorflow/tfjs-core';
import {
  accumulateGrads, ascentStep, clampKeepsRange, createRng, defineStrategy, epsilonScaleOf, mixSeed, probe, probeLayerOne, randomUniform,
  type GradMap, type PerturbationStrategy, type RngState,
} from '@advtrain/core';
import { meanLoss } from './mean-loss.js';
import { resolveYopoPmpOptions, type ResolvedYopoPmpOptions, type YopoPmpOptions } from './options.js';

/** Salt that separates this strategy's random stream from others seeded by the same run seed. */
const SALT = 0x1090;

/** YOPO carries only its generator between minibatches (η is drawn afresh each time). */
export interface YopoPmpState {
  readonly rng: RngState;
}

/**
 * YOPO-m-n, "You Only Propagate Once" (Zhang et al., NeurIPS 2019), PMP
 * version (docs/strategies/yopo-pmp.md); the reference's image trainer
 * (`FastGradientLayerOneTrainer.step`). Needs a view with a layer-one split;
 * use lr ÷ m as the reference does. The NLP variant is {@link yopoPmpNlp}.
 *
 * Inner max, per minibatch: m full passes, each summing the parameter
 * gradients and reading the co-state c = ∂ℓ/∂z at the layer-one output, then n
 * sign steps on η through layer one only (the Hamiltonian ⟨f0(x + η), c⟩),
 * projected on the ε-ball and the valid range, and the extra layer-one term
 * J_θ0ᵀc at the new η. The weight gradients form here, so the outer min hands
 * them over.
 *
 * ```ts
 * const view = functionModel({ variables, layerOne: { variables: [w1, b1], forward: f0 }, rest, validRange: [0, 1] });
 * const trainer = new Trainer(yopoPmp({ outerSteps: 5, innerSteps: 3 }), { view, optimizer: tf.train.momentum(0.2 / 5, 0.9) });
 * ```
 */
export function yopoPmp(options: YopoPmpOptions = {}): PerturbationStrategy<ResolvedYopoPmpOptions, YopoPmpState> {
  const o = resolveYopoPmpOptions(options);
  const { outerSteps: m, innerSteps: n } = o;
  return defineStrategy<ResolvedYopoPmpOptions, YopoPmpState>({
    name: 'yopo-pmp',
    options: o,
    capabilities: {
      sites: ['input'],
      threat: { norm: 'linf', epsilon: o.epsilon },
      // The random start is not range-clamped (reference); every inner step is.
      respectsValidRange: !o.randomStart || n > 0,
      needsLayerOne: true,
      // The extra θ0 term of outer step j < m rides on full pass j + 1 (one layer-one pass for the last).
      passesPerBatch: { full: m, layerOne: m * n + 1 },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      const s = epsilonScaleOf(ctx);
      const [epsilon, step] = [o.epsilon * s, { norm: 'linf' as const, stepSize: o.stepSize * s, epsilon: o.epsilon * s }];
      const shape = ctx.view.siteShape(ctx.batch);
      let rng = state.rng;
      let eta: tf.Tensor;
      if (o.randomStart) [eta, rng] = randomUniform(rng, shape, -epsilon, epsilon);
      else eta = tf.fill(shape, 0);
      // clamp(x + η) is the identity once η has been range-clamped (or is zero) where clampKeepsRange
      // proves it bit for bit; the passes then leave the clamp out.
      const exact = clampKeepsRange(ctx.view.validRange);
      let inRange = exact && !o.randomStart;
      let grads: GradMap | null = null;
      const losses: tf.Scalar[] = [];
      // The co-state whose extra θ0 term the next full pass adds (`layerOneCostate`).
      let owed: tf.Tensor | null = null;
      for (let j = 0; j < m; j++) {
        // The first full pass sees x + η unclamped, as in the reference; later ones run layer one at
        // clamp(x + η), the point of the previous outer step's extra θ0 term, which rides along.
        const full = probe(ctx, {
          delta: eta, wrtParams: true, wrtLayerOne: true, clampInput: j > 0 && !inRange, ...(owed ? { layerOneCostate: owed } : {}),
        });
        owed?.dispose();
        owed = null;
        grads = accumulateGrads(grads, full.paramGrads as GradMap);
        losses.push(full.loss);
        const costate = full.layerOneGrad as tf.Tensor;
        for (let t = 0; t < n; t++) {
          const { deltaGrad } = probeLayerOne(ctx, { delta: eta, costate, wrtDelta: true, clampInput: !inRange });
          const next = ascentStep(ctx, eta, deltaGrad as tf.Tensor, step);
          tf.dispose([deltaGrad as tf.Tensor, eta]);
          eta = next;
          inRange = exact;
        }
        // Extra first-layer term J_θ0 f0(clamp(x + η_new))ᵀ c: owed to the next full pass, or after the
        // last outer step paid with a layer-one pass of its own.
        if (j < m - 1) {
          owed = costate;
          continue;
        }
        const extra = probeLayerOne(ctx, { delta: eta, costate, wrtParams: true, clampInput: !inRange });
        addInto(grads, extra.paramGrads as GradMap);
        costate.dispose();
      }
      return { delta: eta, grads, loss: meanLoss(losses), state: { rng } };
    },
    rngState: true,
  });
}

/** Adds the layer-one gradients `extra` into the running sum, in place for θ0's keys only. */
function addInto(acc: GradMap, extra: GradMap): void {
  for (const [key, g] of Object.entries(extra)) {
    const old = acc[key];
    acc[key] = old ? tf.add(old, g) : g;
    if (old) {
      old.dispose();
      g.dispose();
    }
  }
}
