import * as tf from '@tensorflow/tfjs-core';
import { functionModel } from '../views/function-model.js';
import type { Batch, ModelView } from '../views/types.js';

/**
 * Tiny deterministic models for tests. Weights and data come from fixed
 * formulas (no RNG), so every backend sees the same numbers.
 */
export interface Fixture {
  readonly view: ModelView;
  readonly variables: readonly tf.Variable[];
  /** Minibatch number `i` (deterministic). The caller disposes it with {@link disposeBatch}. */
  batch(i?: number): Batch;
  /** Frees the variables. */
  dispose(): void;
}

/** Names of the built-in fixtures of {@link makeFixture}. */
export type FixtureName = 'linear' | 'mlp' | 'embedding';

let instance = 0;

/** `n` smooth pseudo-random numbers in [-scale, scale] from a formula. */
export function formulaValues(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sin(1.7 * i + 0.3 * seed + 0.1 * i * seed);
  return out;
}

function variable(name: string, shape: number[], seed: number, scale: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(formulaValues(size, seed, scale), shape), true, `advtrain_fixture_${instance}/${name}`);
}

function labels(b: number, classes: number, i: number): tf.Tensor {
  return tf.tensor1d(Array.from({ length: b }, (_, k) => (k * 7 + i * 3) % classes), 'int32');
}

function pixels(shape: number[], i: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = formulaValues(size, 100 + i, 0.5).map((x) => x + 0.5);
  return tf.tensor(v, shape);
}

/** Disposes a batch's tensors (x, y and the mask if any). */
export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.y.dispose();
  batch.mask?.dispose();
}

/** Softmax regression on inputs in [0, 1]: logits = xW + b. */
export function linearFixture(options: { inputs?: number; classes?: number; batchSize?: number } = {}): Fixture {
  const { inputs = 6, classes = 3, batchSize = 4 } = options;
  instance += 1;
  const w = variable('W', [inputs, classes], 1, 0.8);
  const b = variable('b', [classes], 2, 0.1);
  const view = functionModel({
    variables: [w, b],
    validRange: [0, 1],
    inputShape: [null, inputs],
    classes,
    forward: (x) => tf.add(tf.matMul(x, w), b),
  });
  return {
    view, variables: [w, b],
    batch: (i = 0) => ({ x: pixels([batchSize, inputs], i), y: labels(batchSize, classes, i) }),
    dispose: () => [w, b].forEach((v) => v.dispose()),
  };
}

/** Two-layer ReLU network with a layer-one split (dense + ReLU) for YOPO. */
export function mlpFixture(options: { inputs?: number; hidden?: number; classes?: number; batchSize?: number } = {}): Fixture {
  const { inputs = 8, hidden = 6, classes = 3, batchSize = 5 } = options;
  instance += 1;
  const w1 = variable('W1', [inputs, hidden], 3, 0.7);
  const b1 = variable('b1', [hidden], 4, 0.1);
  const w2 = variable('W2', [hidden, classes], 5, 0.9);
  const b2 = variable('b2', [classes], 6, 0.1);
  const view = functionModel({
    variables: [w1, b1, w2, b2],
    validRange: [0, 1],
    inputShape: [null, inputs],
    classes,
    layerOne: { variables: [w1, b1], forward: (x) => tf.relu(tf.add(tf.matMul(x, w1), b1)) },
    rest: (z) => tf.add(tf.matMul(z, w2), b2),
  });
  return {
    view, variables: [w1, b1, w2, b2],
    batch: (i = 0) => ({ x: pixels([batchSize, inputs], i), y: labels(batchSize, classes, i) }),
    dispose: () => [w1, b1, w2, b2].forEach((v) => v.dispose()),
  };
}

/**
 * Text classifier: embedding table (looked up as one-hot × table, which every
 * backend can differentiate), masked mean pooling, tanh dense, logits. Token 0
 * is padding; later examples are shorter.
 */
export function embeddingFixture(options: { vocab?: number; seqLen?: number; hidden?: number; classes?: number; batchSize?: number } = {}): Fixture {
  const { vocab = 11, seqLen = 5, hidden = 4, classes = 2, batchSize = 3 } = options;
  instance += 1;
  const table = variable('embeddings', [vocab, hidden], 7, 0.6);
  const w = variable('W', [hidden, classes], 8, 0.9);
  const b = variable('b', [classes], 9, 0.1);
  const view = functionModel({
    site: 'embedding',
    variables: [table, w, b],
    padId: 0,
    hiddenSize: hidden,
    classes,
    embed: (ids) => tf.tidy(() => {
      const flat = tf.oneHot(tf.reshape(tf.cast(ids, 'int32'), [-1]), vocab);
      return tf.reshape(tf.matMul(flat, table), [...ids.shape, hidden]);
    }),
    head: (e, ctx) => tf.tidy(() => {
      const mask = tf.expandDims(ctx.mask as tf.Tensor, -1);
      const pooled = tf.div(tf.sum(tf.mul(e, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
      return tf.add(tf.matMul(tf.tanh(pooled), w), b);
    }),
  });
  const ids = (i: number): tf.Tensor => {
    const data: number[] = [];
    for (let r = 0; r < batchSize; r++) {
      const length = Math.max(1, seqLen - (r % 3));
      for (let t = 0; t < seqLen; t++) data.push(t < length ? 1 + ((r * 5 + t * 3 + i * 7) % (vocab - 1)) : 0);
    }
    return tf.tensor2d(data, [batchSize, seqLen], 'int32');
  };
  return {
    view, variables: [table, w, b],
    batch: (i = 0) => ({ x: ids(i), y: labels(batchSize, classes, i) }),
    dispose: () => [table, w, b].forEach((v) => v.dispose()),
  };
}

/** A fixture by name, with its default sizes. */
export function makeFixture(name: FixtureName): Fixture {
  if (name === 'linear') return linearFixture();
  if (name === 'mlp') return mlpFixture();
  return embeddingFixture();
}
