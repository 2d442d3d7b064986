import * as tf from '@tensorflow/tfjs-core';
import {
  accumulateGrads, createRng, defineStrategy, epsilonScaleOf, l2AscentStep, maskedUniformInit, mixSeed, probe, probeLayerOne,
  type GradMap, type PerturbationStrategy,
} from '@advtrain/core';
import { meanLoss } from './mean-loss.js';
import { resolveYopoPmpNlpOptions, type ResolvedYopoPmpNlpOptions, type YopoPmpNlpOptions } from './options.js';
import type { YopoPmpState } from './yopo-pmp.js';

/** Salt that separates this strategy's random stream from others seeded by the same run seed. */
const SALT = 0x109a;

/**
 * YOPO as in the FreeLB repository's NLP code (`yopo_train_step`,
 * docs/strategies/yopo-pmp.md): no extra layer-one term, L2 steps, every pass
 * backpropagating `loss / (1 + m)`. Needs a view with a layer-one split.
 *
 * Inner max: δ₀ = masked `U(−1, 1)·initMagnitude/sqrt(len·H)`; one full pass
 * gives the weight gradients and the co-state c; then m times: n steps
 * `δ ← δ + stepSize·g/‖g‖₂` per example through layer one (projected onto the
 * L2 ball of radius ε, none for ε = 0), and one more full pass whose gradients
 * are added. The outer min hands the summed gradients over.
 *
 * ```ts
 * const trainer = new Trainer(yopoPmpNlp(), { view, optimizer: tf.train.adam(1e-5) });
 * ```
 */
export function yopoPmpNlp(options: YopoPmpNlpOptions = {}): PerturbationStrategy<ResolvedYopoPmpNlpOptions, YopoPmpState> {
  const o = resolveYopoPmpNlpOptions(options);
  const { outerSteps: m, innerSteps: n } = o;
  const scale = 1 / (1 + m);
  return defineStrategy<ResolvedYopoPmpNlpOptions, YopoPmpState>({
    name: 'yopo-pmp',
    options: o,
    capabilities: {
      sites: ['input', 'embedding'],
      threat: o.epsilon > 0 ? { norm: 'l2', epsilon: o.epsilon } : { norm: 'none', epsilon: null },
      respectsValidRange: false,
      needsLayerOne: true,
      passesPerBatch: { full: m + 1, layerOne: m * n },
    },
    init: (ctx) => ({ rng: createRng(mixSeed(ctx.seed, SALT)) }),
    innerMax(ctx, state) {
      const s = epsilonScaleOf(ctx);
      const radius = o.epsilon * s > 0 ? o.epsilon * s : null;
      const { view, batch } = ctx;
      let [delta, rng] = maskedUniformInit(state.rng, view.siteShape(batch), view.siteMask(batch), o.initMagnitude * s);
      let full = probe(ctx, { delta, wrtParams: true, wrtLayerOne: true, scale });
      let grads = full.paramGrads as GradMap;
      const losses: tf.Scalar[] = [full.loss];
      for (let j = 0; j < m; j++) {
        const costate = full.layerOneGrad as tf.Tensor; // the Hamiltonian's co-state, as in yopoPmp
        for (let t = 0; t < n; t++) {
          const { deltaGrad } = probeLayerOne(ctx, { delta, costate, wrtDelta: true, clampInput: false });
          const next = l2AscentStep(delta, deltaGrad as tf.Tensor, o.stepSize * s, radius);
          tf.dispose([deltaGrad as tf.Tensor, delta]);
          delta = next;
        }
        costate.dispose();
        full = probe(ctx, { delta, wrtParams: true, wrtLayerOne: j < m - 1, scale });
        grads = accumulateGrads(grads, full.paramGrads as GradMap);
        losses.push(full.loss);
      }
      return { delta, grads, loss: meanLoss(losses), state: { rng } };
    },
    rngState: true,
  });
}
