import { stopGradient } from '@advtrain/core';
import * as tf from '@tensorflow/tfjs-core';

/** Rows of the batch: the size of the first axis ("batchmean": summed, then divided by the batch size). */
function batchSize(t: tf.Tensor): number {
  return t.shape[0] as number;
}

/** `KL(softmax(target) ‖ softmax(logits))`, summed over classes and batch, divided by B. */
export function klDivergence(target: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const logT = tf.logSoftmax(target);
    const sum = tf.sum(tf.mul(tf.exp(logT), tf.sub(logT, tf.logSoftmax(logits))));
    return tf.div(sum, batchSize(logits)) as tf.Scalar;
  });
}

/**
 * SMART's symmetric KL (mt-dnn `SymKlCriterion`): `KL(sg(P̃)‖P) + KL(sg(P)‖P̃)`,
 * batch mean, with `P = softmax(clean)` and `P̃ = softmax(perturbed)`. Each half
 * stops only its own target, so the first pulls the clean prediction toward the
 * perturbed one and the second pulls the perturbed one toward the clean one.
 */
export function symmetricKl(clean: tf.Tensor, perturbed: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(
    klDivergence(stopGradient(perturbed), clean),
    klDivergence(stopGradient(clean), perturbed)) as tf.Scalar);
}

/**
 * mt-dnn `stable_kl(logits, target)`: `2 Σ p (r_p − r_q)` with `p = softmax(logits)`,
 * `q = softmax(target)` and the constant log-odds `r = −log(1/(p + 1e-6) − 1 + 1e-6)`.
 * Gradient flows only through the leading `p`. Summed over the batch (the inner
 * objective of the reference) or divided by B with `reduction: 'mean'`.
 */
export function stableKl(logits: tf.Tensor, target: tf.Tensor, reduction: 'sum' | 'mean' = 'sum'): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.exp(tf.logSoftmax(logits));
    const logOdds = (probs: tf.Tensor) => stopGradient(tf.neg(tf.log(tf.add(tf.sub(tf.div(1, tf.add(probs, 1e-6)), 1), 1e-6))));
    const sum = tf.mul(2, tf.sum(tf.mul(p, tf.sub(logOdds(p), logOdds(tf.exp(tf.logSoftmax(target)))))));
    return (reduction === 'sum' ? sum : tf.div(sum, batchSize(logits))) as tf.Scalar;
  });
}

/** Element-wise squared error between the two outputs (regression), mean over every element. */
export function squaredError(clean: tf.Tensor, perturbed: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(perturbed, tf.reshape(clean, perturbed.shape)))) as tf.Scalar);
}
