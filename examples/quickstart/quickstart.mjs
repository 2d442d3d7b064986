// The quick start of the README: a complete program. Run it with `node quickstart.mjs`.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { prepareBackend } from '@advtrain/backends';
import { Trainer, layersModelView } from '@advtrain/core';
import { pgd } from '@advtrain/pgd';
import { fit } from '@advtrain/train';

// 1. Pick the backend before creating any tensor or model.
await prepareBackend('wasm'); // or 'cpu', 'webgpu', 'webgl', 'tensorflow', 'gpu'

// 2. Data: 256 points in [0, 1]^8, class 1 shifted by +0.5 in every feature.
const n = 256;
const y = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2), 'int32');
const x = tf.tidy(() => tf.add(
  tf.randomUniform([n, 8], 0, 0.5, 'float32', 7),
  tf.mul(tf.expandDims(tf.cast(y, 'float32'), 1), 0.5)));

// 3. Batches are { x, y } (y: class indices or one-hot; embedding sites add an optional mask).
const batches = [];
for (let i = 0; i < n; i += 32) batches.push({ x: tf.slice(x, [i, 0], [32, 8]), y: tf.slice(y, [i], [32]) });

// 4. A small tfjs-layers model that outputs logits.
const model = tfl.sequential({
  layers: [
    tfl.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }),
    tfl.layers.dense({ units: 2 }),
  ],
});

// 5. Train with PGD: 3 L∞ ascent steps of size 0.05 in a ball of radius 0.1.
const view = layersModelView(model, { validRange: [0, 1] });
const trainer = new Trainer(pgd({ epsilon: 0.1, steps: 3, stepSize: 0.05 }), {
  view, optimizer: tf.train.adam(0.01), seed: 1,
});
await fit(trainer, () => batches, {
  epochs: 5,
  progress: false,
  callbacks: [{ onEpochEnd: ({ epoch, meanLoss }) => console.log(`epoch ${epoch + 1}: adversarial loss ${meanLoss.toFixed(3)}`) }],
});

// 6. Clean accuracy on the training points.
const correct = tf.tidy(() => tf.equal(tf.argMax(model.predict(x), -1), y));
const accuracy = (await tf.sum(tf.cast(correct, 'float32')).data())[0] / n;
console.log(`accuracy: ${(100 * accuracy).toFixed(1)}%`);
