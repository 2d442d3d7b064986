import * as tf from '@tensorflow/tfjs-core';
import type { PerturbationStrategy, StepContext } from './contract.js';
import { addGrads, scaleGrads, type GradMap } from './grad-map.js';
import { defaultLoss, type LossFn } from './losses.js';
import { PassCounter, type PassCount } from './pass-counter.js';
import { probe, type Objective } from './probe.js';
import { keepInRange, l2AscentStep, projectL2, rangeClamp, signAscent } from './projections.js';
import { randomUniform, type RngState } from './random.js';
import { createStepContext } from './step-context.js';
import { scoped } from './tensor-tree.js';
import type { Batch, ModelView } from './views/types.js';

/**
 * Building blocks shared by the gradient-step strategies (FGSM, FGM, PGD) and
 * evaluation's PGD: random starts in a ball, one projected ascent step, and the
 * weighted clean / adversarial loss terms of the outer min. The δ updates and
 * clamps themselves live in projections.ts.
 */

/** A weighted loss term `w·ℓ` and its parameter gradient; nulls mean "no term". */
export interface LossTerm {
  readonly loss: tf.Scalar | null;
  readonly grads: GradMap | null;
}

/**
 * Random start inside the ε-ball, then {@link keepInRange} unless `clamp` is
 * false: L∞ draws `U(−ε, ε)` per element (Madry et al.; Wong et al.); L2 draws
 * `U(−0.5, 0.5)` and rescales each example to norm at most ε (MadryLab/robustness).
 */
export function randomBallStart(ctx: StepContext, rng: RngState, norm: 'linf' | 'l2', epsilon: number,
  clamp = true): [tf.Tensor, RngState] {
  const shape = ctx.view.siteShape(ctx.batch);
  const [u, next] = norm === 'linf' ? randomUniform(rng, shape, -epsilon, epsilon) : randomUniform(rng, shape, -0.5, 0.5);
  const start = scoped('randomBallStart', () => {
    const inBall = norm === 'linf' ? u : projectL2(u, epsilon);
    return clamp ? keepInRange(ctx, inBall) : inBall;
  });
  if (start !== u) u.dispose();
  return [start, next];
}

/** One ascent step of {@link ascentStep}: norm, step size and radius. */
export interface AscentStep {
  readonly norm: 'linf' | 'l2';
  readonly stepSize: number;
  /** Radius to project onto; null for no projection (a strategy's options spell it `epsilon: 0`). */
  readonly epsilon: number | null;
}

/**
 * One projected steepest-ascent step: `δ + a·sign(g)` (L∞) or
 * `δ + a·g/(‖g‖₂ + 1e-10)` per example (L2), projected onto the ε-ball, then
 * {@link keepInRange}.
 */
export function ascentStep(ctx: StepContext, delta: tf.Tensor, grad: tf.Tensor, step: AscentStep): tf.Tensor {
  return scoped('ascentStep', () => {
    if (step.norm === 'linf') return signAscent(delta, grad, step.stepSize, step.epsilon, rangeClamp(ctx));
    return keepInRange(ctx, l2AscentStep(delta, grad, step.stepSize, step.epsilon));
  });
}

/** `weight·(loss, grads)`; the unscaled loss is disposed at once rather than left to the enclosing scope. */
function weighted(loss: tf.Scalar, grads: GradMap, weight: number): { loss: tf.Scalar; grads: GradMap } {
  if (weight === 1) return { loss, grads };
  const scaled = tf.mul(loss, weight) as tf.Scalar;
  loss.dispose();
  return { loss: scaled, grads: scaleGrads(grads, weight) };
}

/** What {@link attackGradient} computes: the attack point, labels and whether the clean term shares the pass. */
export interface AttackGradientRequest {
  /** Attack point; null or omitted for the clean input. */
  readonly delta?: tf.Tensor | null;
  /** Objective of the attack; default the task loss. */
  readonly objective?: Objective | null;
  /** Weight of the clean term `ℓ(f(site), y)` in the outer loss; 0 (default) for none. */
  readonly cleanWeight?: number;
}

/**
 * ∂L/∂δ for a one-step attack and, when `cleanWeight > 0`, the clean term
 * `cleanWeight·ℓ(clean)` with its parameter gradient. When the attack point is
 * the clean input and the objective is the task loss, both come from one
 * pass (FGSM and FGM share it this way); otherwise the clean term takes a pass of its own.
 */
export function attackGradient(ctx: StepContext, request: AttackGradientRequest = {}): { deltaGrad: tf.Tensor; clean: LossTerm } {
  const { delta = null, objective = null, cleanWeight = 0 } = request;
  return scoped('attackGradient', () => {
    const shared = cleanWeight > 0 && delta === null && objective === null;
    const attack = probe(ctx, { delta, wrtDelta: true, wrtParams: shared, ...(objective ? { objective } : {}) });
    let clean: LossTerm = { loss: null, grads: null };
    if (!shared) attack.loss.dispose();
    if (shared) {
      clean = weighted(attack.loss, attack.paramGrads as GradMap, cleanWeight);
    } else if (cleanWeight > 0) {
      const c = probe(ctx, { wrtParams: true });
      clean = weighted(c.loss, c.paramGrads as GradMap, cleanWeight);
    }
    return { deltaGrad: attack.deltaGrad as tf.Tensor, clean };
  });
}

/**
 * The outer min of the gradient-step methods: one training pass at site + δ
 * weighted by `weight`, added to `base` (the clean term, or nothing). With
 * weight 0 no pass is made and `base` is returned.
 */
export function addAdversarialTerm(ctx: StepContext, delta: tf.Tensor | null, weight: number,
  base: LossTerm = { loss: null, grads: null }): { loss: tf.Scalar; grads: GradMap } {
  return scoped('addAdversarialTerm', () => {
    if (weight === 0) return { loss: base.loss ?? tf.scalar(0), grads: base.grads ?? {} };
    const adv = probe(ctx, { delta, wrtParams: true });
    const term = weighted(adv.loss, adv.paramGrads as GradMap, weight);
    if (!base.loss || !base.grads) return term;
    const loss = tf.add(base.loss, term.loss) as tf.Scalar;
    term.loss.dispose();
    return { loss, grads: addGrads(base.grads, term.grads) };
  });
}

/** What {@link inspectStep} returns; the caller owns the tensors. */
export interface InspectedStep {
  /** A copy of the inner max's δ (null when the strategy does not perturb). */
  readonly delta: tf.Tensor | null;
  readonly loss: tf.Scalar;
  readonly grads: GradMap;
  readonly passes: Readonly<PassCount>;
}

/**
 * Runs one inner max and outer min of `strategy` on `batch` from a fresh
 * state (seeded with `seed`, default 0) and returns δ, the loss, the gradients
 * the optimizer would receive and the passes made; nothing is applied. For
 * tests and debugging of gradient-step strategies.
 */
export function inspectStep<O, S>(strategy: PerturbationStrategy<O, S>,
  setup: { readonly view: ModelView; readonly batch: Batch; readonly loss?: LossFn; readonly seed?: number }): InspectedStep {
  const { view, batch, loss = defaultLoss, seed = 0 } = setup;
  const passes = new PassCounter();
  const ctx = createStepContext({ view, batch, loss, passes,
    refusal: `@advtrain/core: inspectStep() cannot run "${strategy.name}", which steps the optimizer itself.` });
  const inner = strategy.innerMax(ctx, strategy.init({ view, seed }));
  const delta = inner.delta ? tf.clone(inner.delta) : null;
  const outer = strategy.outerMin(ctx, inner);
  strategy.dispose(outer.state);
  return { delta, loss: outer.loss, grads: outer.grads ?? {}, passes: passes.snapshot() };
}
