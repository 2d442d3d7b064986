import * as tf from '@tensorflow/tfjs-core';

/** Mean of the pass losses; frees them (probe keeps its loss outside every scope). */
export function meanLoss(losses: tf.Scalar[]): tf.Scalar {
  const mean = tf.div(tf.addN(losses), losses.length) as tf.Scalar;
  tf.dispose(losses);
  return mean;
}
