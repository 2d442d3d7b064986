import * as tf from '@tensorflow/tfjs-core';
import { targetsOf, type ExampleLossFn } from '@advtrain/core';

/** One-hot rows [B, C] of the k-th largest logit (k = 0 is the top one). Cast, not OneHot's dtype: wasm fills that wrongly. */
function rankedOneHot(logits: tf.Tensor, ranks: number): tf.Tensor[] {
  const classes = logits.shape[logits.rank - 1] as number;
  const { indices } = tf.topk(logits, ranks);
  return tf.unstack(indices, 1).map((column) => tf.cast(tf.oneHot(column, classes), 'float32'));
}

const pick = (logits: tf.Tensor, oneHot: tf.Tensor): tf.Tensor => tf.sum(tf.mul(logits, oneHot), -1);

/**
 * A ratio −(z_y − z_o) / D with z_o and D built from one-hot selections. The
 * selections (a sort) are made in the forward pass and held constant in the
 * backward pass, as torch's sort does; written as one custom gradient because
 * tfjs registers no gradient for TopK.
 */
function ratioLoss(logits: tf.Tensor, select: (z: tf.Tensor) => { y: tf.Tensor; o: tf.Tensor; d: tf.Tensor }): tf.Tensor1D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [z, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const { y, o, d } = select(z);
    const num = tf.sub(pick(z, y), pick(z, o));
    const den = tf.add(pick(z, d), 1e-12);
    save([y, o, d, num, den]);
    return {
      value: tf.neg(tf.div(num, den)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sy, so, sd, sn, sden] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const col = (t: tf.Tensor) => tf.expandDims(t, -1);
        // ∂/∂z of −n/D = −(e_y − e_o)/D + n·∂D/∂z / D².
        const g = tf.add(tf.neg(tf.div(tf.sub(sy, so), col(sden))), tf.mul(col(tf.div(sn, tf.square(sden))), sd));
        return tf.mul(g, col(dy));
      },
    };
  });
  return f(logits) as tf.Tensor1D;
}

/**
 * Difference-of-logits ratio (Croce & Hein 2020), per example:
 * `−(z_y − max_{i≠y} z_i) / (z_π1 − z_π3)`, with z_π1 ≥ z_π2 ≥ … the sorted
 * logits. Invariant to shifting and (positively) scaling the logits, so a
 * model cannot hide behind saturated softmax outputs. Needs 3 classes or more.
 */
export const dlrLoss: ExampleLossFn = (logits, batch) => tf.tidy(() => {
  const yHot = tf.cast(targetsOf(logits, batch.y), 'float32');
  return ratioLoss(logits, (z) => {
    const [first, second, third] = rankedOneHot(z, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
    // The best other class is π2 when y is on top, else π1.
    const yOnTop = tf.expandDims(tf.sum(tf.mul(first, yHot), -1), -1);
    const o = tf.add(tf.mul(second, yOnTop), tf.mul(first, tf.sub(1, yOnTop)));
    return { y: yHot, o, d: tf.sub(first, third) };
  });
});

/**
 * Targeted DLR as in the reference code: `−(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2)`,
 * ascending it pushes z_t above z_y. Needs 4 classes or more. `target` holds
 * class indices [B] (int32).
 */
export function targetedDlrLoss(target: tf.Tensor): ExampleLossFn {
  return (logits, batch) => tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1] as number;
    const yHot = tf.cast(targetsOf(logits, batch.y), 'float32');
    const tHot = tf.cast(tf.oneHot(tf.cast(target, 'int32'), classes), 'float32');
    return ratioLoss(logits, (z) => {
      const [first, , third, fourth] = rankedOneHot(z, 4) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      return { y: yHot, o: tHot, d: tf.sub(first, tf.mul(0.5, tf.add(third, fourth))) };
    });
  });
}
