import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain.js';
import { clean } from './clean.js';
import { defineStrategy } from './define-strategy.js';
import { Trainer, epochsForOptimizerSteps } from './trainer.js';
import { disposeBatch, embeddingFixture, expectClose, linearFixture, selfSteppingClean, values } from './testing/index.js';

describe('Trainer', () => {
  it('runs a strategy that steps the optimizer itself, with no special case', async () => {
    const a = linearFixture();
    const b = linearFixture();
    const batch = a.batch(0);
    const self = new Trainer(selfSteppingClean(), { view: a.view, optimizer: tf.train.sgd(0.5) });
    const plain = new Trainer(clean(), { view: b.view, optimizer: tf.train.sgd(0.5) });
    const report = await self.trainStep(batch);
    await plain.trainStep(batch);
    await plain.trainStep(batch);
    expect(report.passes).toMatchObject({ forward: 2, backward: 2, optimizerSteps: 2 });
    for (let i = 0; i < a.variables.length; i++) await expectClose(a.variables[i] as tf.Variable, b.variables[i] as tf.Variable);
    expect(() => self.gradients(batch)).toThrow(/steps the optimizer itself/);
    disposeBatch(batch);
    a.dispose();
    b.dispose();
  });

  it('epochsForOptimizerSteps gives ceil(E / m); a strategy that steps m times takes m optimizer steps per trainStep', async () => {
    expect(epochsForOptimizerSteps(10, 4)).toBe(3);
    expect(epochsForOptimizerSteps(8, 4)).toBe(2);
    expect(epochsForOptimizerSteps(5, 1)).toBe(5);
    const f = linearFixture();
    const trainer = new Trainer(selfSteppingClean(), { view: f.view, optimizer: tf.train.sgd(0.1) });
    const epochs = epochsForOptimizerSteps(5, trainer.strategy.capabilities.optimizerStepsPerBatch);
    let steps = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const b = f.batch(0);
      steps += (await trainer.trainStep(b)).passes.optimizerSteps;
      disposeBatch(b);
    }
    expect(epochs).toBe(3);
    expect(steps).toBe(6);
    expect(trainer.step).toBe(3);
    f.dispose();
  });

  it('reports the clean loss and decreases it on a separable problem', async () => {
    const f = linearFixture();
    const trainer = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(1) });
    const batch = f.batch(0);
    const first = await trainer.trainStep(batch);
    let last = first;
    for (let i = 0; i < 30; i++) last = await trainer.trainStep(batch);
    expect(last.loss).toBeLessThan(first.loss * 0.7);
    expect(first.step).toBe(0);
    expect(last.step).toBe(30);
    disposeBatch(batch);
    f.dispose();
  });

  it('refuses a view whose site the strategy does not support, or a missing layer-one split', () => {
    const f = embeddingFixture();
    expect(() => new Trainer(selfSteppingClean(), { view: f.view, optimizer: tf.train.sgd(0.1) }))
      .toThrow('@advtrain/core: strategy "self-stepping" perturbs input sites, but the view\'s site is "embedding".');
    const needs = defineStrategy({ ...selfSteppingDefinition(), capabilities: { ...selfSteppingClean().capabilities, sites: ['embedding'], needsLayerOne: true } });
    expect(() => new Trainer(needs, { view: f.view, optimizer: tf.train.sgd(0.1) })).toThrow(/needs a layer-one split/);
    f.dispose();
  });

  it('refuses to restore a checkpoint of another strategy or seed', async () => {
    const f = linearFixture();
    const t = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.1), seed: 1 });
    const cp = await t.checkpoint();
    const other = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.1), seed: 2 });
    await expect(other.restore(cp)).rejects.toThrow(/made with seed 1, but this trainer has seed 2/);
    const chained = new Trainer(chain(clean()), { view: f.view, optimizer: tf.train.sgd(0.1), seed: 1 });
    await expect(chained.restore(cp)).rejects.toMatchObject({ code: 'ADVTRAIN_STATE_MISMATCH' });
    f.dispose();
  });
});

function selfSteppingDefinition() {
  const s = selfSteppingClean();
  return { name: s.name, options: s.options, capabilities: s.capabilities, init: s.init, innerMax: s.innerMax, outerMin: s.outerMin };
}

describe('chain', () => {
  it('sums losses and gradients of its members (clean + clean = 2 × clean)', async () => {
    const f = linearFixture();
    const batch = f.batch(0);
    const one = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.1) }).gradients(batch);
    const two = new Trainer(chain(clean(), clean()), { view: f.view, optimizer: tf.train.sgd(0.1) }).gradients(batch);
    expect((await values(two.loss))[0]).toBeCloseTo(2 * ((await values(one.loss))[0] as number), 5);
    for (const key of Object.keys(one.grads)) {
      const doubled = tf.mul(one.grads[key] as tf.Tensor, 2);
      await expectClose(two.grads[key] as tf.Tensor, doubled);
      doubled.dispose();
    }
    expect(two.passes).toMatchObject({ forward: 2, backward: 2 });
    tf.dispose([one.loss, two.loss, ...Object.values(one.grads), ...Object.values(two.grads)]);
    disposeBatch(batch);
    f.dispose();
  });

  it('refuses an empty chain and members that step the optimizer', () => {
    expect(() => chain()).toThrow('@advtrain/core: chain() needs at least one strategy (received none).');
    expect(() => chain(clean(), selfSteppingClean())).toThrow(/cannot include "self-stepping", because it steps the optimizer itself/);
  });

  it('declares the union of costs and the strictest dropout policy', () => {
    const c = chain(clean(), clean());
    expect(c.capabilities.passesPerBatch).toEqual({ full: 2, layerOne: 0 });
    expect(c.capabilities.dropout).toBe('fresh');
    expect(c.toString()).toBe('chain(clean, clean)');
  });
});
