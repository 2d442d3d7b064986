import * as tf from '@tensorflow/tfjs-core';
import {
  assertArgument, createRng, defineStrategy, disposeGrads, epsilonScaleOf, l2AscentStep, maskedUniformInit, probe, restoreRng, signAscent,
  tensorFromJSON, tensorToJSON,
  type PerturbationStrategy, type RngState, type TensorJSON,
} from '@advtrain/core';
import { effectiveStepSize, resolveFreeAtOptions, type FreeAtOptions } from './options.js';

/** What FreeAT carries between minibatches. */
export interface FreeAtState {
  /** Image variant: the persistent buffer Δ, [largest batch, …site shape]; null before the first batch and for nlp. */
  readonly buffer: tf.Tensor | null;
  /** Seeded generator for the nlp variant's random start. */
  readonly rng: RngState;
}

interface SavedState {
  readonly buffer: TensorJSON | null;
  readonly rng: RngState;
}

/**
 * FreeAT, "Adversarial Training for Free!" (Shafahi et al., NeurIPS 2019),
 * docs/strategies/free-at.md. Each minibatch is replayed m times; one pass per replay gives
 * the parameter gradient (one optimizer step) and ∂L/∂δ (one sign step on the
 * persistent buffer Δ, clipped to ε). Pair it with
 * `trainer.fit(data, { epochs, matchOptimizerSteps: true })`, which runs
 * `ceil(E / m)` epochs.
 *
 * ```ts
 * const trainer = new Trainer(freeAt({ replays: 4, epsilon: 4 / 255 }), { view, optimizer });
 * ```
 */
export function freeAt(options: Partial<FreeAtOptions> = {}): PerturbationStrategy<FreeAtOptions, FreeAtState> {
  const o = resolveFreeAtOptions(options);
  const step = effectiveStepSize(o);
  const nlp = o.variant === 'nlp';
  return defineStrategy<FreeAtOptions, FreeAtState>({
    name: 'free-at',
    options: o,
    capabilities: {
      sites: nlp ? ['input', 'embedding'] : ['input'],
      threat: nlp ? (o.epsilon > 0 ? { norm: 'l2', epsilon: o.epsilon } : { norm: 'none', epsilon: null })
        : { norm: 'linf', epsilon: o.epsilon },
      // The model input is clamped (clamp(x + Δ)); Δ itself is not, as in both reference codes.
      respectsValidRange: false,
      stepsOptimizer: true,
      optimizerStepsPerBatch: o.replays,
      passesPerBatch: { full: o.replays },
    },
    init: (ctx) => ({ buffer: null, rng: createRng(ctx.seed ^ 0xf4ee) }),

    innerMax(ctx, state) {
      if (nlp) {
        const magnitude = o.initMagnitude * epsilonScaleOf(ctx);
        const [delta, rng] = maskedUniformInit(state.rng, ctx.view.siteShape(ctx.batch), ctx.view.siteMask(ctx.batch), magnitude);
        return { delta, state: { buffer: null, rng } };
      }
      const buffer = fitBuffer(state.buffer, ctx.view.siteShape(ctx.batch));
      const b = ctx.batch.x.shape[0] as number;
      const delta = b === buffer.shape[0] ? buffer : tf.slice(buffer, 0, b);
      return { delta, state: { buffer, rng: state.rng } };
    },

    outerMin(ctx, inner) {
      let delta = inner.delta as tf.Tensor;
      const s = epsilonScaleOf(ctx);
      const [stepSize, epsilon] = [step * s, o.epsilon * s];
      const losses: tf.Scalar[] = [];
      for (let r = 0; r < o.replays; r++) {
        const { loss, deltaGrad, paramGrads } = probe(ctx, {
          delta, wrtDelta: true, wrtParams: true, clampInput: !nlp, ...(nlp ? { scale: 1 / (1 + o.replays) } : {}),
        });
        // NLP: δ + adv_lr · g / ‖g‖₂ per example, then projL2(max_norm) when max_norm > 0.
        const next = nlp ? l2AscentStep(delta, deltaGrad as tf.Tensor, stepSize, epsilon > 0 ? epsilon : null)
          : signAscent(delta, deltaGrad as tf.Tensor, stepSize, epsilon);
        ctx.applyGradients(paramGrads as Record<string, tf.Tensor>);
        disposeGrads(paramGrads);
        (deltaGrad as tf.Tensor).dispose();
        if (delta !== inner.delta) delta.dispose();
        delta = next;
        losses.push(loss);
      }
      const loss = tf.div(tf.addN(losses), o.replays) as tf.Scalar;
      tf.dispose(losses); // probe keeps its loss outside every scope
      if (nlp) return { loss, grads: null, state: inner.state };
      return { loss, grads: null, state: { buffer: writeBack(inner.state.buffer as tf.Tensor, delta), rng: inner.state.rng } };
    },

    async serializeState(state): Promise<SavedState> {
      return { buffer: state.buffer ? await tensorToJSON(state.buffer) : null, rng: state.rng };
    },
    restoreState(data) {
      const rng = restoreRng('@advtrain/free-at', data);
      const { buffer } = data as SavedState;
      return { buffer: buffer ? tensorFromJSON(buffer) : null, rng };
    },
  });
}

/** The buffer, grown with zero rows when a larger batch arrives (never reset). */
function fitBuffer(buffer: tf.Tensor | null, shape: number[]): tf.Tensor {
  if (buffer === null) return tf.fill(shape, 0);
  const tail = shape.slice(1);
  assertArgument(buffer.shape.slice(1).join('x') === tail.join('x'), () =>
    `@advtrain/free-at: the batch's example shape [${tail}] differs from the perturbation buffer's [${buffer.shape.slice(1)}]; FreeAT keeps one buffer per run.`);
  const rows = buffer.shape[0] as number;
  if ((shape[0] as number) <= rows) return buffer;
  return tf.concat([buffer, tf.fill([(shape[0] as number) - rows, ...tail], 0)], 0);
}

/** Δ with its first b rows replaced by `rows` (a partial batch leaves the rest untouched). */
function writeBack(buffer: tf.Tensor, rows: tf.Tensor): tf.Tensor {
  const b = rows.shape[0] as number;
  if (b === buffer.shape[0]) return rows;
  return tf.concat([rows, tf.slice(buffer, b)], 0);
}

