import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Trainer, clean, type Batch } from '@advtrain/core';
import { disposeBatch, linearFixture, selfSteppingClean } from '@advtrain/core/testing';
import { batchSource, fit } from './index.js';

function dataset(n = 40) {
  return { x: tf.randomUniform([n, 6], 0, 1, 'float32', 7), y: tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 5) % 3), 'int32') };
}

describe('fit over a batch source', () => {
  it('runs ceil(E / m) epochs with matchOptimizerSteps, from a generator, with per-step and per-epoch callbacks', async () => {
    const f = linearFixture();
    const optimizer = tf.train.sgd(0.1);
    const trainer = new Trainer(selfSteppingClean(), { view: f.view, optimizer });
    let steps = 0;
    let epochs = 0;
    const result = await fit(trainer, function* () { const b = f.batch(0); yield b; disposeBatch(b); }, {
      epochs: 5, matchOptimizerSteps: true, progress: false,
      callbacks: [{ onStep: (r) => { steps += r.passes.optimizerSteps; }, onEpochEnd: () => { epochs += 1; } }],
    });
    expect(result.history).toHaveLength(3);
    expect(epochs).toBe(3);
    expect(steps).toBe(6);
    expect(result.steps).toBe(3);
    trainer.dispose();
    optimizer.dispose();
    f.dispose();
  });

  it('gives the same weights and losses as the dataset it was cut from, from an array or an async iterable', async () => {
    const runWith = async (make: (data: ReturnType<typeof dataset>) => Parameters<typeof fit>[1], extra: object) => {
      const f = linearFixture();
      const optimizer = tf.train.sgd(0.1);
      const trainer = new Trainer(clean(), { view: f.view, optimizer, seed: 3 });
      const data = dataset();
      const result = await fit(trainer, make(data), { epochs: 2, progress: false, ...extra });
      const weights = await Promise.all(f.variables.map(async (v) => Array.from(await v.data())));
      tf.dispose([data.x, data.y]);
      trainer.dispose();
      optimizer.dispose();
      f.dispose();
      return { losses: result.history.map((h) => h.meanLoss), steps: result.steps, weights };
    };
    const whole = await runWith((data) => data, { batchSize: 8 });
    const cut = await runWith((data) => batchSource(data, { batchSize: 8, seed: 3 }), { batchesPerEpoch: 5 });
    expect(cut).toEqual(whole);
    const copies: Batch[] = [];
    const asArrays = await runWith((data) => {
      const source = batchSource(data, { batchSize: 8, seed: 3 });
      return (epoch: number) => Array.from(source(epoch) as Iterable<Batch>, (b) => {
        copies.push({ x: tf.clone(b.x), y: tf.clone(b.y) });
        return copies[copies.length - 1] as Batch;
      });
    }, {});
    copies.forEach(disposeBatch);
    expect(asArrays).toEqual(whole);
    const asAsync = await runWith((data) => async function* (epoch: number) {
      yield* batchSource(data, { batchSize: 8, seed: 3 })(epoch) as Iterable<Batch>;
    }, {});
    expect(asAsync).toEqual(whole);
  });

  it('leaves skipped batches out of the mean loss', async () => {
    const f = linearFixture();
    const optimizer = tf.train.sgd(0.1);
    const trainer = new Trainer(clean(), { view: f.view, optimizer, onNonFinite: 'skip' });
    const good = f.batch(0);
    const bad = { x: tf.fill(good.x.shape, NaN), y: tf.clone(good.y) };
    const reports: boolean[] = [];
    const twin = linearFixture();
    const twinOptimizer = tf.train.sgd(0.1);
    const reference = new Trainer(clean(), { view: twin.view, optimizer: twinOptimizer });
    const expected = (await reference.trainStep(good)).loss;
    const result = await fit(trainer, () => [good, bad], {
      epochs: 1, progress: false, callbacks: [{ onStep: (r) => { reports.push(r.skipped); } }],
    });
    expect(reports).toEqual([false, true]);
    expect(result.steps).toBe(2);
    expect(result.history[0]?.meanLoss).toBe(expected);
    disposeBatch(good);
    disposeBatch(bad);
    trainer.dispose();
    reference.dispose();
    twinOptimizer.dispose();
    twin.dispose();
    optimizer.dispose();
    f.dispose();
  });

  it('rejects options that belong to the other kind of data, naming them', async () => {
    const f = linearFixture();
    const optimizer = tf.train.sgd(0.1);
    const trainer = new Trainer(clean(), { view: f.view, optimizer });
    const data = dataset(8);
    await expect(fit(trainer, () => [], { epochs: 1, batchSize: 8, progress: false })).rejects.toThrow(
      '@advtrain/train: option "batchSize" must be left out with a batch source (received 8). The source makes its own minibatches.');
    await expect(fit(trainer, data, { epochs: 1, batchSize: 8, batchesPerEpoch: 1, progress: false })).rejects.toThrow(
      '@advtrain/train: option "batchesPerEpoch" must be left out with a Dataset (received 1). It follows from the dataset and batchSize.');
    await expect(fit(trainer, data, { epochs: 1, progress: false })).rejects.toThrow(
      '@advtrain/train: option "batchSize" must be an integer >= 1 (received undefined).');
    await expect(fit(trainer, () => [], { epochs: 1, batchesPerEpoch: 0, progress: false })).rejects.toThrow(
      '@advtrain/train: option "batchesPerEpoch" must be an integer >= 1 (received 0).');
    tf.dispose([data.x, data.y]);
    trainer.dispose();
    optimizer.dispose();
    f.dispose();
  });

  it('shows a step count without a bar when the number of minibatches is unknown', async () => {
    const f = linearFixture();
    const optimizer = tf.train.sgd(0.1);
    const trainer = new Trainer(clean(), { view: f.view, optimizer });
    const chunks: string[] = [];
    const b = f.batch(0);
    await fit(trainer, () => [b, b], { epochs: 1, progress: { isTTY: true, columns: 100, write: (s: string) => chunks.push(s) } });
    expect(chunks.join('')).toMatch(/\repoch 1\/1 step 2 loss \d/);
    expect(chunks.join('')).toMatch(/epoch 1\/1 done: loss \d/);
    disposeBatch(b);
    trainer.dispose();
    optimizer.dispose();
    f.dispose();
  });
});
