import * as tf from '@tensorflow/tfjs-core';
import {
  assertArgument, defineStrategy, epsilonScaleOf, rangeClamp, signAscent, tensorFromJSON, tensorToJSON,
  type PerturbationStrategy, type TensorJSON,
} from '@advtrain/core';
import { resolveFreeAtOptions, type FreeAtOptions, type ResolvedFreeAtOptions } from './options.js';
import { replay } from './replay.js';

/** What FreeAT carries between minibatches. */
export interface FreeAtState {
  /** The persistent buffer Δ, [largest batch, …site shape]; null before the first batch. */
  readonly buffer: tf.Tensor | null;
}

interface SavedState {
  readonly buffer: TensorJSON | null;
}

/**
 * FreeAT, "Adversarial Training for Free!" (Shafahi et al., NeurIPS 2019),
 * docs/strategies/free-at.md. Each minibatch is replayed m times; one pass per
 * replay gives the parameter gradient (one optimizer step) and ∂L/∂δ (one sign
 * step on the persistent buffer Δ, clipped to ε). Pair it with
 * `fit(trainer, data, { epochs, matchOptimizerSteps: true })` from
 * `@advtrain/train`, which runs `ceil(E / m)` epochs. The NLP variant of the
 * FreeLB repository is {@link freeAtNlp}.
 *
 * Inner max: δ = Δ[0:b], the buffer grown to the batch (no pass).
 * Outer min: the m replays. The ascent on δ lives here, not in the inner max,
 * because each sign step comes from the same pass as one optimizer step: the
 * one strategy whose outer min also moves δ.
 *
 * ```ts
 * const trainer = new Trainer(freeAt({ replays: 4, epsilon: 4 / 255 }), { view, optimizer });
 * ```
 */
export function freeAt(options: FreeAtOptions = {}): PerturbationStrategy<ResolvedFreeAtOptions, FreeAtState> {
  const o = resolveFreeAtOptions(options);
  const stepSize = o.stepSize ?? o.epsilon;
  return defineStrategy<ResolvedFreeAtOptions, FreeAtState>({
    name: 'free-at',
    options: o,
    capabilities: {
      sites: ['input'],
      threat: { norm: 'linf', epsilon: o.epsilon },
      // Shafahi et al. clamp the model input, not Δ; Wong et al. (clampBuffer) clamp Δ for the
      // batch it was made on, which the next batch's images may leave.
      respectsValidRange: false,
      stepsOptimizer: true,
      optimizerStepsPerBatch: o.replays,
      passesPerBatch: { full: o.replays },
    },
    init: () => ({ buffer: null }),
    innerMax(ctx, state) {
      const buffer = fitBuffer(state.buffer, ctx.view.siteShape(ctx.batch));
      const b = ctx.batch.x.shape[0] as number;
      return { delta: b === buffer.shape[0] ? buffer : tf.slice(buffer, 0, b), state: { buffer } };
    },
    outerMin(ctx, inner) {
      const s = epsilonScaleOf(ctx);
      const clamp = o.clampBuffer ? rangeClamp(ctx) : null;
      const { loss, delta } = replay(ctx, inner.delta as tf.Tensor, o.replays, { clampInput: !o.clampBuffer },
        (d, g) => signAscent(d, g, stepSize * s, o.epsilon * s, clamp));
      return { loss, grads: null, state: { buffer: writeBack(inner.state.buffer as tf.Tensor, delta) } };
    },
    async serializeState(state): Promise<SavedState> {
      return { buffer: state.buffer ? await tensorToJSON(state.buffer) : null };
    },
    restoreState(data) {
      const buffer = (data as SavedState | null)?.buffer ?? null;
      return { buffer: buffer ? tensorFromJSON(buffer) : null };
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
