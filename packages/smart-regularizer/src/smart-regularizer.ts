import {
  clipLinf, createRng, defineStrategy, epsilonScaleOf, mixSeed, normalizeLinf, normalizedAscent, probe, randomNormal, scaledAdd,
  type Batch, type PerturbationStrategy, type RngState,
} from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';
import { squaredError, stableKl, symmetricKl } from './divergence.js';
import { resolveSmartRegularizerOptions, type ResolvedSmartRegularizerOptions, type SmartRegularizerOptions } from './options.js';

/** What SMART carries between minibatches: the random stream of its noise (checkpointed). */
export interface SmartRegularizerState {
  readonly rng: RngState;
}

/** Salt that separates SMART's random stream from other members of a chain. */
const SALT = 0x53a27;

/**
 * SMART's smoothness-inducing regulariser (Jiang et al., ACL 2020), mt-dnn
 * semantics by default (docs/strategies/smart-regularizer.md). Inner max, at fixed θ: ν = σ·N(0, I)
 * on the perturbation site, then `steps` times `ν ← (ν + η·∂s/∂ν) / (max|·| + guard)`
 * per token, where s is `stable_kl(f(e + ν), sg(f(e)))` summed over the batch.
 * Outer min: `L(f(e)) + λ·R` with R the symmetric KL between f(e) and f(e + ν)
 * (each half stops its own target), differentiated through both passes at once.
 * A NaN/Inf inner gradient turns the term off for the step, without reading
 * tensors back. With `taskLoss: false` the outer min adds only λ·R, for a
 * `chain` whose other member already contributes the task loss:
 *
 * ```ts
 * const strategy = chain(freelb({ steps: 2 }), smartRegularizer({ taskLoss: false }));
 * ```
 */
export function smartRegularizer(options: SmartRegularizerOptions = {}): PerturbationStrategy<ResolvedSmartRegularizerOptions, SmartRegularizerState> {
  const o = resolveSmartRegularizerOptions(options);
  const paper = o.projection === 'paper';
  const divergence = o.divergence === 'mse' ? squaredError : symmetricKl;
  const innerObjective = (target: tf.Tensor) => (logits: tf.Tensor): tf.Scalar => (o.divergence === 'mse'
    ? tf.sum(tf.square(tf.sub(logits, target))) as tf.Scalar
    : stableKl(logits, target, 'sum'));
  return defineStrategy<ResolvedSmartRegularizerOptions, SmartRegularizerState>({
    name: 'smart-regularizer',
    options: o,
    capabilities: {
      sites: ['embedding', 'input'],
      threat: { norm: 'token-linf', epsilon: paper ? o.epsilon : 1 },
      respectsValidRange: false,
      passesPerBatch: { full: o.steps + 2 },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      // An ε ramp scales the noise, the steps and the radius (the mt-dnn form's unit per-token norm too).
      const s = epsilonScaleOf(ctx);
      const [noiseScale, stepSize, epsilon] = [o.noiseScale * s, o.stepSize * s, o.epsilon * s];
      const siteMask = ctx.view.siteMask(ctx.batch);
      const tokens = siteMask ? tf.expandDims(siteMask, -1) : tf.scalar(1);
      // probe's results are kept (they outlive its scope), so this step frees them itself.
      const target = probe(ctx, { keepLogits: true });
      const clean = target.logits as tf.Tensor;
      target.loss.dispose();
      const shape = ctx.view.siteShape(ctx.batch);
      const [noise, rng] = randomNormal(state.rng, shape, 0, noiseScale);
      let nu = tf.mul(noise, tokens);
      if (paper) nu = clipLinf(nu, epsilon);
      let finite = tf.scalar(true, 'bool');
      const token = { scope: 'token' as const, guard: o.guard, guardMode: 'add' as const };
      for (let k = 0; k < o.steps; k++) {
        const pass = probe(ctx, { delta: nu, wrtDelta: true, objective: innerObjective(clean) });
        pass.loss.dispose();
        const g = pass.deltaGrad as tf.Tensor;
        // x · 0 is NaN exactly when x is NaN or ±Inf; no IsFinite kernel (missing on wasm) and no read-back.
        finite = tf.logicalAnd(finite, tf.equal(tf.sum(tf.mul(g, 0)), 0));
        nu = paper
          ? clipLinf(normalizedAscent(nu, g, stepSize, { norm: 'linf', ...token }), epsilon)
          : normalizeLinf(scaledAdd(nu, g, stepSize), token);
        nu = tf.mul(nu, s === 1 || paper ? tokens : tf.mul(tokens, s));
      }
      clean.dispose();
      const delta = tf.where(tf.broadcastTo(finite, nu.shape), nu, tf.zerosLike(nu));
      return { delta, extras: { active: tf.cast(finite, 'float32') }, state: { rng } };
    },
    outerMin(ctx, inner) {
      const active = inner.extras?.active as tf.Tensor;
      // One backward through both passes: probe's clean forward, and the perturbed one inside the objective.
      const objective = (clean: tf.Tensor, batch: Batch): tf.Scalar => {
        const perturbed = ctx.view.forward(batch, inner.delta);
        const reg = tf.mul(tf.mul(divergence(clean, perturbed), active), o.regWeight);
        return (o.taskLoss ? tf.add(ctx.loss(clean, batch), reg) : reg) as tf.Scalar;
      };
      ctx.passes.record('forward');
      const { loss, paramGrads } = probe(ctx, { wrtParams: true, objective });
      return { loss, grads: paramGrads, state: inner.state };
    },
    rngState: true,
  });
}
