import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from './views/types.js';

/** Loss of a batch from its logits; a scalar the optimizer minimises. */
export type LossFn = (logits: tf.Tensor, batch: Batch) => tf.Scalar;

/** Per-example loss, shape [B]. */
export type ExampleLossFn = (logits: tf.Tensor, batch: Batch) => tf.Tensor1D;

/** One-hot targets from class indices ([B] ints) or pass-through for one-hot / soft labels. */
export function targetsOf(logits: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (y.rank === logits.rank - 1) return tf.oneHot(tf.cast(y, 'int32'), logits.shape[logits.rank - 1] as number);
  return y;
}

/**
 * Softmax cross-entropy per example. Written as −Σ y·logSoftmax(z) so its
 * gradient needs no gather kernel (wasm lacks UnsortedSegmentSum).
 */
export const exampleCrossEntropy: ExampleLossFn = (logits, batch) => tf.tidy(() =>
  tf.neg(tf.sum(tf.mul(targetsOf(logits, batch.y), tf.logSoftmax(logits)), -1)) as tf.Tensor1D);

/** Softmax cross-entropy, mean (default) or sum over the batch (Madry's MNIST code sums). */
export function crossEntropy(reduction: 'mean' | 'sum' = 'mean'): LossFn {
  return (logits, batch) => tf.tidy(() => {
    const perExample = exampleCrossEntropy(logits, batch);
    return (reduction === 'mean' ? tf.mean(perExample) : tf.sum(perExample)) as tf.Scalar;
  });
}

/** Squared error for regression, mean over every element. */
export const meanSquaredError: LossFn = (output, batch) => tf.tidy(() =>
  tf.mean(tf.square(tf.sub(output, tf.reshape(batch.y, output.shape)))) as tf.Scalar);

/** The trainer's default task loss: softmax cross-entropy, mean over the batch. */
export const defaultLoss: LossFn = crossEntropy('mean');
