import * as tf from '@tensorflow/tfjs-core';

/**
 * 1 where the prediction (argmax of `logits`) equals the label, else 0, as
 * float32 [B]. Labels are class indices [B] or one-hot / soft rows [B, C]
 * (their argmax).
 */
export function correctMask(logits: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const labels = y.rank === logits.rank - 1 ? tf.cast(y, 'int32') : tf.argMax(y, -1);
    return tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32');
  });
}

/**
 * The per-example early stop of PGD: `next` for the examples `logits` still
 * classifies correctly, `current` for the others, whose perturbation already
 * fools the model and stays where it is. `logits` are those of the pass at
 * `current`. Returns a new tensor; the inputs are not disposed.
 */
export function advanceWhereCorrect(logits: tf.Tensor, y: tf.Tensor, current: tf.Tensor, next: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const keep = correctMask(logits, y);
    const shape = [keep.shape[0] as number, ...Array<number>(next.rank - 1).fill(1)];
    return tf.where(tf.cast(tf.reshape(keep, shape), 'bool'), next, current);
  });
}
