import * as tf from '@tensorflow/tfjs-core';

const stop = tf.customGrad((...inputs) => {
  const x = inputs[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

/**
 * `sg(x)` (docs/strategies/README.md, Notation): the value of `x`, with no gradient flowing back
 * through it (tfjs-core has no such op). Used for the frozen targets of KL
 * terms (SMART's symmetric KL, TRADES, VAT).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stop(x) as T;
}
