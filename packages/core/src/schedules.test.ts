import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clean } from './clean.js';
import type { StepContext } from './contract.js';
import { defineStrategy } from './define-strategy.js';
import {
  constantSchedule, cosineSchedule, cyclicSchedule, linearRamp, piecewiseSchedule, progressAt, setLearningRate,
  type ScheduleProgress,
} from './schedules.js';
import { Trainer } from './trainer.js';
import { cleanReplays, disposeBatch, linearFixture, selfSteppingClean, values } from './testing/index.js';

const at = (epoch: number): ScheduleProgress => ({ epoch, optimizerStep: 0 });

describe('schedules', () => {
  it('cyclic: 0 → peak at floor(2E/5) → 0 at E, read at epoch + (i + 1)/n', () => {
    const lr = cyclicSchedule({ peak: 5e-3, epochs: 10 });
    // First minibatch of 600: the rate is already past 0, as in the reference's np.interp.
    expect(lr(progressAt({ epoch: 0, index: 0, batchesPerEpoch: 600 }, 0, 1, 0))).toBeCloseTo(5e-3 * (1 / 600) / 4, 15);
    expect(lr(progressAt({ epoch: 3, index: 599, batchesPerEpoch: 600 }, 0, 1, 2399))).toBe(5e-3);
    expect(lr(at(7))).toBeCloseTo(2.5e-3, 15);
    expect(lr(at(10))).toBe(0);
    expect(lr(at(12))).toBe(0);
    // E = 3: the peak sits at floor(6/5) = 1.
    expect(cyclicSchedule({ peak: 1, epochs: 3 })(at(1))).toBe(1);
    expect(cyclicSchedule({ peak: 1, epochs: 3 })(at(2))).toBe(0.5);
  });

  it('piecewise: a step ending on a boundary keeps the earlier value', () => {
    const lr = piecewiseSchedule({ boundaries: [30, 35], values: [0.1, 0.01, 0.001] });
    expect([lr(at(0.5)), lr(at(30)), lr(at(30.001)), lr(at(35)), lr(at(35.5)), lr(at(99))]).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
  });

  it('cosine with warm-up, linear ramp and constant', () => {
    const lr = cosineSchedule({ peak: 1, epochs: 11, warmupEpochs: 1 });
    expect(lr(at(0.5))).toBe(0.5);
    expect(lr(at(1))).toBe(1);
    expect(lr(at(6))).toBeCloseTo(0.5, 15);
    expect(lr(at(11))).toBeCloseTo(0, 15);
    const ramp = linearRamp({ from: 0, to: 1, startEpoch: 1, endEpoch: 3 });
    expect([ramp(at(0)), ramp(at(1)), ramp(at(2)), ramp(at(3)), ramp(at(9))]).toEqual([0, 0, 0.5, 1, 1]);
    expect(constantSchedule(0.25)(at(4))).toBe(0.25);
  });

  it('refuses bad options with the function, option, constraint and value', () => {
    expect(() => cyclicSchedule({ peak: -1, epochs: 10 })).toThrow(
      '@advtrain/core: cyclicSchedule option "peak" must be a finite number > 0 (received -1).');
    expect(() => piecewiseSchedule({ boundaries: [5, 2], values: [1, 2, 3] })).toThrow(/option "boundaries" must be a list of increasing/);
    expect(() => piecewiseSchedule({ boundaries: [5], values: [1] })).toThrow(/"values" must be a list of 2 finite numbers/);
    expect(() => linearRamp({ from: 0, to: 1, endEpoch: 0 })).toThrow(/"endEpoch" must be a finite number > startEpoch \(0\) \(received 0\)/);
    expect(() => setLearningRate({ getClassName: () => 'Odd' } as unknown as tf.Optimizer, 0.1)).toThrow(/cannot schedule the learning rate of Odd/);
  });
});

/** Steps the optimizer twice per minibatch, like FreeAT's replays, and records the ε scale it saw. */
function twoReplays(seen: number[]) {
  return defineStrategy({
    name: 'replays', options: {}, capabilities: selfSteppingClean().capabilities,
    init: () => null,
    innerMax: (ctx: StepContext, state) => {
      seen.push(ctx.epsilonScale ?? 1);
      return { delta: null, state };
    },
    outerMin: (ctx, inner) => ({ loss: cleanReplays(ctx, 2), grads: null, state: inner.state }),
  });
}

describe('Trainer schedules', () => {
  it('sets the learning rate before every optimizer step: the update is −lr·g', async () => {
    const fixture = linearFixture();
    const batch = fixture.batch(0);
    const lr = (p: ScheduleProgress) => 0.1 * (p.optimizerStep + 1);
    const trainer = new Trainer(clean(), { view: fixture.view, optimizer: tf.train.sgd(123), schedules: { learningRate: lr } });
    for (let k = 0; k < 3; k++) {
      const { grads, loss } = new Trainer(clean(), { view: fixture.view, optimizer: tf.train.sgd(0) }).gradients(batch);
      const before = await Promise.all(fixture.variables.map((v) => values(v)));
      const g = await Promise.all(fixture.variables.map((v) => values(grads[v.name] as tf.Tensor)));
      const report = await trainer.trainStep(batch, { epoch: 0, index: k, batchesPerEpoch: 3 });
      expect(report.learningRate).toBeCloseTo(0.1 * (k + 1), 12);
      const after = await Promise.all(fixture.variables.map((v) => values(v)));
      after.forEach((w, i) => w.forEach((value, j) => {
        expect(value).toBeCloseTo((before[i] as Float32Array)[j] as number - 0.1 * (k + 1) * ((g[i] as Float32Array)[j] as number), 5);
      }));
      tf.dispose([loss, ...Object.values(grads)]);
    }
    disposeBatch(batch);
    fixture.dispose();
  });

  it('advances the epoch by 1/(m·n) per replay and reads the ε scale once per minibatch', async () => {
    const fixture = linearFixture();
    const batch = fixture.batch(0);
    const epochs: number[] = [];
    const seen: number[] = [];
    const trainer = new Trainer(twoReplays(seen), {
      view: fixture.view, optimizer: tf.train.sgd(0.1), stepsPerEpoch: 2,
      schedules: { learningRate: (p) => { epochs.push(p.epoch); return 0.1; }, epsilonScale: (p) => p.epoch / 2 },
    });
    for (let k = 0; k < 3; k++) await trainer.trainStep(batch);
    expect(epochs).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5]);
    expect(seen).toEqual([0.25, 0.5, 0.75]);
    // A checkpoint keeps the optimizer-step count, so a restored run continues the schedule.
    const saved = await trainer.checkpoint();
    expect(saved.optimizerStep).toBe(6);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('asks for the position when schedules cannot place the step', async () => {
    const fixture = linearFixture();
    const batch = fixture.batch(0);
    const trainer = new Trainer(clean(), { view: fixture.view, optimizer: tf.train.sgd(0.1), schedules: { learningRate: () => 0.1 } });
    const before = tf.memory().numTensors;
    await expect(trainer.trainStep(batch)).rejects.toThrow(/pass trainStep\(batch, \{ epoch, index, batchesPerEpoch \}\) or set the Trainer option "stepsPerEpoch"/);
    expect(tf.memory().numTensors).toBe(before);
    expect(trainer.step).toBe(0);
    expect(() => new Trainer(clean(), { view: fixture.view, optimizer: tf.train.sgd(0.1), schedules: { learningRate: 0.1 as never } }))
      .toThrow('@advtrain/core: Trainer option "schedules.learningRate" must be a function (progress) => number (received number).');
    disposeBatch(batch);
    fixture.dispose();
  });
});
