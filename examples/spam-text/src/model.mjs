import * as tf from '@tensorflow/tfjs-core';
import { functionModel } from '@advtrain/core';

/**
 * Embedding (vocab × hidden) → masked mean pool → dense (2 classes), as a
 * function model perturbed at the embedding output. The lookup is `tf.gather`,
 * whose table gradient @advtrain/backends supplies on wasm.
 */
export function buildTextModel({ vocabSize, hidden = 32, seed = 0 }) {
  const id = `spam_${seed}_${Math.random().toString(36).slice(2, 8)}`;
  const table = tf.variable(tf.randomNormal([vocabSize, hidden], 0, 0.1, 'float32', seed + 1), true, `${id}/embedding`);
  const w = tf.variable(tf.randomUniform([hidden, 2], -0.3, 0.3, 'float32', seed + 2), true, `${id}/dense/kernel`);
  const b = tf.variable(tf.zeros([2]), true, `${id}/dense/bias`);
  const view = functionModel({
    site: 'embedding', variables: [table, w, b], padId: 0, hiddenSize: hidden,
    embed: (ids) => tf.gather(table, tf.cast(ids, 'int32')),
    head: (e, ctx) => tf.tidy(() => {
      const mask = tf.expandDims(ctx.mask, -1);
      const pooled = tf.div(tf.sum(tf.mul(e, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
      return tf.add(tf.matMul(pooled, w), b);
    }),
  });
  return { view, dispose: () => tf.dispose([table, w, b]) };
}
