import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, describeValue, type Batch } from '@advtrain/core';
import { checkFinite } from './finite.js';

/**
 * What the evaluators accept: one `Batch` holding the whole set (sliced into
 * minibatches of `batchSize`), or any (async) iterable of batches that the
 * caller owns.
 */
export type EvalData = Batch | Iterable<Batch> | AsyncIterable<Batch>;

export const PKG = '@advtrain/eval';

function isBatch(data: EvalData): data is Batch {
  return typeof (data as Batch).x === 'object' && (data as Batch).x !== null && Array.isArray((data as Batch).x.shape);
}

/** Checks that a whole-set batch is non-empty and that x, y (and mask) agree on the number of examples. */
export function checkBatch(batch: Batch, what = 'data'): number {
  const n = batch.x.shape[0];
  if (!n) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `${PKG}: ${what} is empty (received x as ${describeValue(batch.x)}).`);
  }
  for (const [key, t] of [['y', batch.y], ['mask', batch.mask]] as const) {
    if (t && t.shape[0] !== n) {
      throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
        `${PKG}: ${what}.${key} must have as many examples as ${what}.x (${n}), received ${describeValue(t)}.`);
    }
  }
  if (batch.y.rank > 2 || (batch.y.rank === 2 && batch.y.shape[1] === 1)) {
    throw new AdvtrainError('ADVTRAIN_INVALID_BATCH',
      `${PKG}: ${what}.y must be class indices [B] or one-hot labels [B, C] (received ${describeValue(batch.y)}).`
      + (batch.y.rank === 2 ? ' Squeeze a [B, 1] tensor (tf.squeeze(y, [1])) to pass class indices.' : ''));
  }
  return n;
}

/** Minibatches of `data`; slices of a whole-set batch are freed after use. */
export async function* minibatches(data: EvalData, batchSize: number): AsyncGenerator<Batch> {
  if (!isBatch(data)) {
    for await (const batch of data as AsyncIterable<Batch>) {
      checkBatch(batch);
      await checkFinite(batch);
      yield batch;
    }
    return;
  }
  const n = checkBatch(data);
  await checkFinite(data);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    if (start === 0 && size === n) {
      yield data;
      return;
    }
    const cut = (t: tf.Tensor): tf.Tensor => tf.slice(t, start, size);
    const part: Batch = { x: cut(data.x), y: cut(data.y), ...(data.mask ? { mask: cut(data.mask) } : {}) };
    try {
      yield part;
    } finally {
      tf.dispose([part.x, part.y, ...(part.mask ? [part.mask] : [])]);
    }
  }
}

/** 1 where the prediction equals the label (core's `correctMask`, for eval's callers). */
export { correctMask } from '@advtrain/core';
