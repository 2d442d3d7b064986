import * as tf from '@tensorflow/tfjs-core';
import {
  accumulateGrads, ascentStep, clampKeepsRange, createRng, defineStrategy, epsilonScaleOf,
  l2AscentStep, maskedUniformInit, probe, probeLayerOne, randomUniform,
  type GradMap, type PerturbationStrategy, type RngState, type StepContext,
} from '@advtrain/core';
import { resolveYopoPmpOptions, type YopoPmpOptions } from './options.js';

/** YOPO carries only its generator between minibatches (η is drawn afresh each time). */
export interface YopoPmpState {
  readonly rng: RngState;
}

/**
 * YOPO-m-n, "You Only Propagate Once" (Zhang et al., NeurIPS 2019), PMP
 * version (docs/strategies/yopo-pmp.md). Per minibatch: m full passes, each accumulating (as
 * a sum) the parameter gradients and reading the co-state ∂ℓ/∂z at the
 * layer-one output, followed by n perturbation updates through layer one only
 * and the extra layer-one term. Needs a view with a layer-one split; use
 * lr ÷ m as the reference does.
 *
 * ```ts
 * const view = functionModel({ variables, layerOne: { variables: [w1, b1], forward: f0 }, rest, validRange: [0, 1] });
 * const trainer = new Trainer(yopoPmp({ outerSteps: 5, innerSteps: 3 }), { view, optimizer: tf.train.momentum(0.2 / 5, 0.9) });
 * ```
 */
export function yopoPmp(options: Partial<YopoPmpOptions> = {}): PerturbationStrategy<YopoPmpOptions, YopoPmpState> {
  const o = resolveYopoPmpOptions(options);
  const nlp = o.variant === 'nlp';
  const { outerSteps: m, innerSteps: n } = o;
  return defineStrategy<YopoPmpOptions, YopoPmpState>({
    name: 'yopo-pmp',
    options: o,
    capabilities: {
      sites: nlp ? ['input', 'embedding'] : ['input'],
      threat: nlp ? (o.epsilon > 0 ? { norm: 'l2', epsilon: o.epsilon } : { norm: 'none', epsilon: null })
        : { norm: 'linf', epsilon: o.epsilon },
      // The random start is not range-clamped (reference); every inner step is.
      respectsValidRange: !nlp && (!o.randomStart || n > 0),
      needsLayerOne: true,
      // Image: the extra θ0 term of outer step j < m rides on full pass j + 1 (one layer-one pass for the last).
      passesPerBatch: nlp ? { full: m + 1, layerOne: m * n } : { full: m, layerOne: m * n + 1 },
    },
    init: (ctx) => ({ rng: createRng(ctx.seed ^ 0x1090) }),
    innerMax(ctx, state) {
      const so = scaled(o, epsilonScaleOf(ctx));
      return nlp ? nlpStep(ctx, state, so) : imageStep(ctx, state, so);
    },
    rngState: true,
  });
}

/** The options with every radius and step size multiplied by the step's ε scale. */
function scaled(o: YopoPmpOptions, s: number): YopoPmpOptions {
  if (s === 1) return o;
  return { ...o, epsilon: o.epsilon * s, stepSize: o.stepSize * s, initMagnitude: o.initMagnitude * s };
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

/** Mean of the pass losses; frees them (probe keeps its loss outside every scope). */
function meanLoss(losses: tf.Scalar[]): tf.Scalar {
  const mean = tf.div(tf.addN(losses), losses.length) as tf.Scalar;
  tf.dispose(losses);
  return mean;
}

/** Library default: the image variant of the reference (`FastGradientLayerOneTrainer.step`). */
function imageStep(ctx: StepContext, state: YopoPmpState, o: YopoPmpOptions) {
  const shape = ctx.view.siteShape(ctx.batch);
  const range = ctx.view.validRange;
  let rng = state.rng;
  let eta: tf.Tensor;
  if (o.randomStart) [eta, rng] = randomUniform(rng, shape, -o.epsilon, o.epsilon);
  else eta = tf.fill(shape, 0);
  // Once η has been through clampToRange (or is zero), x + η is already in the valid range bit for
  // bit wherever clampKeepsRange can prove it: the in-pass clamp is then the identity with gradient
  // 1, and skipping it saves its forward kernel and the five of its gradient in every pass.
  const exact = clampKeepsRange(range);
  let inRange = exact && !o.randomStart;
  let acc: GradMap | null = null;
  const losses: tf.Scalar[] = [];
  // Co-state of the previous outer step whose extra θ0 term is still owed (see below).
  let owed: tf.Tensor | null = null;
  for (let j = 0; j < o.outerSteps; j++) {
    // The first outer forward sees x + η unclamped, as in the reference. From the second on, the
    // full pass runs layer one at clamp(x + η_new), the very point of the previous step's extra
    // θ0 term, so that term rides along in this backward pass (the co-state is added to ∂ℓ/∂z):
    // one layer-one pass saved per outer step but the last.
    const full = probe(ctx, {
      delta: eta, wrtParams: true, wrtLayerOne: true, clampInput: j > 0 && !inRange, ...(owed ? { layerOneCostate: owed } : {}),
    });
    owed?.dispose();
    owed = null;
    acc = accumulateGrads(acc, full.paramGrads as GradMap);
    losses.push(full.loss);
    // The Hamiltonian Σ z ⊙ c with the co-state c = ∂ℓ/∂z (−H of the paper, whose p = −c): probeLayerOne
    // seeds layer one's backward pass with c instead of building and differentiating the product.
    const costate = full.layerOneGrad as tf.Tensor;
    for (let s = 0; s < o.innerSteps; s++) {
      const { deltaGrad } = probeLayerOne(ctx, { delta: eta, costate, wrtDelta: true, clampInput: !inRange });
      const next = ascentStep(ctx, eta, deltaGrad as tf.Tensor, { norm: 'linf', stepSize: o.stepSize, epsilon: o.epsilon });
      tf.dispose([deltaGrad as tf.Tensor, eta]);
      eta = next;
      inRange = exact;
    }
    // Extra first-layer term (§5.2 d): J_θ0 f0(clamp(x + η_new))ᵀ ∂ℓ/∂z|η_j. Owed to the next
    // full pass, except after the last outer step, which pays it with a layer-one pass of its own.
    if (j < o.outerSteps - 1) {
      owed = full.layerOneGrad as tf.Tensor;
      continue;
    }
    const extra = probeLayerOne(ctx, { delta: eta, costate, wrtParams: true, clampInput: !inRange });
    addInto(acc as GradMap, extra.paramGrads as GradMap);
    (full.layerOneGrad as tf.Tensor).dispose();
  }
  return { delta: eta, grads: acc, loss: meanLoss(losses), state: { rng } };
}

/** FreeLB repository variant (`yopo_train_step`): no extra θ0 term, L2 steps, loss ÷ (1 + m). */
function nlpStep(ctx: StepContext, state: YopoPmpState, o: YopoPmpOptions) {
  const { view, batch } = ctx;
  let [delta, rng] = maskedUniformInit(state.rng, view.siteShape(batch), view.siteMask(batch), o.initMagnitude);
  const scale = 1 / (1 + o.outerSteps);
  let full = probe(ctx, { delta, wrtParams: true, wrtLayerOne: true, scale });
  let acc = full.paramGrads as GradMap;
  const losses: tf.Scalar[] = [full.loss];
  for (let j = 0; j < o.outerSteps; j++) {
    const costate = full.layerOneGrad as tf.Tensor; // the Hamiltonian's co-state, as in imageStep
    for (let s = 0; s < o.innerSteps; s++) {
      const { deltaGrad } = probeLayerOne(ctx, { delta, costate, wrtDelta: true, clampInput: false });
      const next = l2AscentStep(delta, deltaGrad as tf.Tensor, o.stepSize, o.epsilon > 0 ? o.epsilon : null);
      tf.dispose([deltaGrad as tf.Tensor, delta]);
      delta = next;
    }
    (full.layerOneGrad as tf.Tensor).dispose();
    full = probe(ctx, { delta, wrtParams: true, wrtLayerOne: j < o.outerSteps - 1, scale });
    acc = accumulateGrads(acc, full.paramGrads as GradMap);
    losses.push(full.loss);
  }
  return { delta, grads: acc, loss: meanLoss(losses), state: { rng } };
}
