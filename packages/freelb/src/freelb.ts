import {
  accumulateGrads, clipLinf, createRng, defineStrategy, epsilonScaleOf, maskedUniformInit, mixSeed, normalizedAscent, probe,
  projectL2, type GradMap, type RngState, type PerturbationStrategy,
} from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';
import { resolveFreelbOptions, type FreelbOptions, type ResolvedFreelbOptions } from './options.js';

/** What FreeLB carries between minibatches: the random stream of its starts (checkpointed). */
export interface FreelbState {
  readonly rng: RngState;
}

/** Salt that separates FreeLB's random stream from other members of a chain. */
const SALT = 0xf4ee1b;

/**
 * FreeLB (Zhu et al., ICLR 2020), HF ALBERT version by default (docs/strategies/freelb.md):
 * start from a masked, length-scaled random δ₀ on the word-embedding output,
 * then run K passes at e + δ_t; every pass accumulates ∇θ(L_t / K) and its ∂/∂δ
 * moves δ by a normalised ascent step (projected when `maxNorm > 0`). The
 * optimizer receives `(1/K) Σ_t ∇θ L(e + δ_t)`: the whole update happens in the
 * inner max, and the outer min (defineStrategy's default) hands the accumulated gradients over.
 *
 * ```ts
 * const trainer = new Trainer(freelb({ stepSize: 0.1, steps: 2, initMagnitude: 0.6, maxNorm: 0 }),
 *   { view: layersModelView(model, { site: 'embedding' }), optimizer: tf.train.adam(1e-5) });
 * ```
 */
export function freelb(options: FreelbOptions = {}): PerturbationStrategy<ResolvedFreelbOptions, FreelbState> {
  const o = resolveFreelbOptions(options);
  const passes = o.variant === 'fairseq' ? o.steps + 1 : o.steps;
  const bound = Math.max(o.maxNorm, o.initMagnitude);
  return defineStrategy<ResolvedFreelbOptions, FreelbState>({
    name: 'freelb',
    options: o,
    capabilities: {
      sites: ['embedding'],
      // δ₀ is not projected (as in the reference), so the bound covers the random start too.
      threat: o.maxNorm > 0 ? { norm: o.norm, epsilon: bound } : { norm: 'none', epsilon: null },
      dropout: o.dropoutMasks,
      passesPerBatch: { full: passes },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      const s = epsilonScaleOf(ctx);
      const so = s === 1 ? o : { ...o, stepSize: o.stepSize * s, initMagnitude: o.initMagnitude * s, maxNorm: o.maxNorm * s };
      const mask = ctx.view.siteMask(ctx.batch) as tf.Tensor;
      const tokens = tf.expandDims(mask, -1);
      const shape = ctx.view.siteShape(ctx.batch);
      let [delta, rng]: [tf.Tensor, RngState] = so.initMagnitude > 0
        ? maskedUniformInit(state.rng, shape, mask, so.initMagnitude, so.norm)
        : [tf.fill(shape, 0), state.rng];
      let grads: GradMap | null = null;
      let lossSum: tf.Tensor = tf.scalar(0);
      for (let t = 0; t < passes; t++) {
        const pass = probe(ctx, { delta, wrtDelta: true, wrtParams: true, scale: 1 / passes });
        grads = accumulateGrads(grads, pass.paramGrads as GradMap);
        lossSum = tf.add(lossSum, pass.loss);
        pass.loss.dispose(); // probe's loss is kept (it outlives the probe's scope), so free it here
        if (t < passes - 1) delta = ascend(delta, tf.mul(pass.deltaGrad as tf.Tensor, tokens), so);
      }
      return { delta, grads, loss: tf.div(lossSum, passes) as tf.Scalar, state: { rng } };
    },
    rngState: true,
  });
}

/**
 * One ascent step: `δ + α · g / max(‖g‖, guard)` per
 * example, with the L2 norm (then the L2 projection) or the max-abs norm (then
 * clipping, not a sign step). `g` is already zero at padded positions.
 */
function ascend(delta: tf.Tensor, g: tf.Tensor, o: ResolvedFreelbOptions): tf.Tensor {
  const moved = normalizedAscent(delta, g, o.stepSize, { norm: o.norm, guard: o.guard, guardMode: 'max' });
  if (o.maxNorm === 0) return moved;
  return o.norm === 'l2' ? projectL2(moved, o.maxNorm) : clipLinf(moved, o.maxNorm);
}
