import { disposeGrads, probe, type GradMap, type StepContext } from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';

/** What each replay's pass asks of `probe` besides δ and both gradients. */
export interface ReplayPass {
  /** Feed `clamp(x + δ, lo, hi)` to the model (image variant). */
  readonly clampInput?: boolean;
  /** Factor on the loss before differentiation (the NLP code's 1/(1 + m)). */
  readonly scale?: number;
}

/**
 * FreeAT's m replays of one minibatch. Each replay is one pass at δ giving the
 * weight gradient, applied at once as one optimizer step, and ∂L/∂δ, from which
 * `step` makes the next δ (taken at the old δ, before the weights move). Returns
 * the mean replay loss and the last δ; frees every δ it made but the last.
 */
export function replay(ctx: StepContext, start: tf.Tensor, replays: number, pass: ReplayPass,
  step: (delta: tf.Tensor, grad: tf.Tensor) => tf.Tensor): { loss: tf.Scalar; delta: tf.Tensor } {
  let delta = start;
  const losses: tf.Scalar[] = [];
  for (let r = 0; r < replays; r++) {
    const { loss, deltaGrad, paramGrads } = probe(ctx, { delta, wrtDelta: true, wrtParams: true, ...pass });
    const next = step(delta, deltaGrad as tf.Tensor);
    ctx.applyGradients(paramGrads as GradMap);
    disposeGrads(paramGrads);
    (deltaGrad as tf.Tensor).dispose();
    if (delta !== start) delta.dispose();
    delta = next;
    losses.push(loss);
  }
  const loss = tf.div(tf.addN(losses), replays) as tf.Scalar;
  tf.dispose(losses); // probe keeps its loss outside every scope
  return { loss, delta };
}
