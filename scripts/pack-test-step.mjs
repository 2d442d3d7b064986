// Runs inside the packed-install project of scripts/pack-test.sh.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Trainer, functionModel } from '@advtrain/core';
import { fgm } from '@advtrain/fgm';

tf.enableProdMode();
await tf.setBackend('wasm');

// A text classifier perturbed at its embedding output (one-hot × table lookup).
const table = tf.variable(tf.randomNormal([20, 8], 0, 0.5, 'float32', 1), true, 'table');
const w = tf.variable(tf.randomNormal([8, 2], 0, 0.5, 'float32', 2), true, 'w');
const view = functionModel({
  site: 'embedding', variables: [table, w], padId: 0, hiddenSize: 8,
  embed: (ids) => tf.reshape(tf.matMul(tf.oneHot(tf.reshape(tf.cast(ids, 'int32'), [-1]), 20), table), [...ids.shape, 8]),
  head: (e) => tf.matMul(tf.mean(e, 1), w),
});
const batch = { x: tf.tensor2d([[1, 2, 3, 0], [4, 5, 6, 7]], [2, 4], 'int32'), y: tf.tensor1d([0, 1], 'int32') };

// tfjs-core alone registers no gradients: the trainer must say what to do.
let code = null;
try { new Trainer(fgm(), { view, optimizer: tf.train.sgd(0.1) }); } catch (e) { code = e.code; }
if (code !== 'ADVTRAIN_NO_GRADIENTS') throw new Error(`expected ADVTRAIN_NO_GRADIENTS, got ${code}`);

await import('@tensorflow/tfjs-layers'); // registers every gradient function
const trainer = new Trainer(fgm({ epsilon: 1 }), { view, optimizer: tf.train.sgd(0.1) });
const before = tf.memory().numTensors;
const first = await trainer.trainStep(batch);
const second = await trainer.trainStep(batch);
if (!Number.isFinite(first.loss) || !(second.loss < first.loss)) throw new Error(`loss did not fall: ${first.loss} -> ${second.loss}`);
if (tf.memory().numTensors !== before) throw new Error(`leaked ${tf.memory().numTensors - before} tensors`);
console.log(`pack test: @advtrain/core + @advtrain/fgm from tarballs trained on ${tf.getBackend()}: loss ${first.loss.toFixed(4)} -> ${second.loss.toFixed(4)}, passes ${JSON.stringify(first.passes)}`);
