import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '@advtrain/backends';
import { Trainer } from '@advtrain/core';
import { relativeError } from '@advtrain/core/testing';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { buildCnn } from '@advtrain-examples/mnist-robustness/model';

/**
 * Runs one seeded training step of `makeStrategy()` on each backend from the
 * same initial weights and batch, and returns the largest relative difference
 * of the updated weights against the first backend (cpu, the reference).
 */
export async function crossBackendStep(makeStrategy, { backends = ['cpu', 'wasm'], batchSize = 16, seed = 0 } = {}) {
  const outcomes = [];
  for (const name of backends) {
    await prepareBackend(name);
    const data = await loadMnist('train', batchSize);
    const model = buildCnn(seed);
    const optimizer = tf.train.sgd(0.1);
    const trainer = new Trainer(await makeStrategy(), { view: model.view, optimizer, seed });
    const started = performance.now();
    const report = await trainer.trainStep(data);
    const ms = performance.now() - started;
    const weights = await Promise.all(model.view.variables.map(async (v) => Float32Array.from(await v.data())));
    outcomes.push({ backend: name, loss: report.loss, ms, weights, passes: report.passes });
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
    tf.dispose([data.x, data.y]);
  }
  const [reference, ...others] = outcomes;
  const rows = [{ backend: reference.backend, loss: reference.loss, ms: reference.ms, error: 0 }];
  for (const o of others) {
    let worst = 0;
    for (let i = 0; i < o.weights.length; i++) worst = Math.max(worst, await relativeError(o.weights[i], reference.weights[i]));
    rows.push({ backend: o.backend, loss: o.loss, ms: o.ms, error: worst });
  }
  return { rows, passes: reference.passes };
}
