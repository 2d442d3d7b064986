import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Trainer, clean } from '@advtrain/core';
import { linearFixture } from '@advtrain/core/testing';
import { RobustnessMonitor, fit, judgeCheck, type MonitorCheck } from './index.js';

const T = { epsilon: 0.3, fgsmGap: 0.3, fgsmRobust: 0.9, collapse: 0.2, aboveClean: 0.05 };
const check = (c: Partial<MonitorCheck>): MonitorCheck =>
  ({ step: 7, trainSeconds: 1, clean: 0.95, fgsm: 0.8, pgd: 0.75, heldOut: null, heldOutClean: null, ...c });

describe('judgeCheck', () => {
  it('names each failure and its likely cause', () => {
    expect(judgeCheck(check({}), 0.8, T)).toEqual([]);
    const [fgsm] = judgeCheck(check({ fgsm: 0.94, pgd: 0.2 }), 0.2, T);
    expect(fgsm?.kind).toBe('fgsm-not-pgd');
    expect(fgsm?.message).toBe('@advtrain/train: at step 7 the model is robust to FGSM (94.0 %) but not to PGD (20.0 %) at ε = 0.3 '
      + 'on the monitor batch: likely catastrophic overfitting of a single-step method, or gradient masking.');
    // Still learning: FGSM is ahead of PGD but the model is not robust to FGSM yet.
    expect(judgeCheck(check({ fgsm: 0.43, pgd: 0.095 }), 0.1, T)).toEqual([]);
    expect(judgeCheck(check({ fgsm: 0.7, pgd: 0.36 }), 0.36, T)).toEqual([]);
    expect(judgeCheck(check({ pgd: 0.5, fgsm: 0.6 }), 0.75, T).map((w) => w.kind)).toEqual(['pgd-collapse']);
    expect(judgeCheck(check({ pgd: 0.5, fgsm: 0.6 }), 0.69, T)).toEqual([]);
    const [above] = judgeCheck(check({ clean: 0.5, fgsm: 0.6, pgd: 0.6 }), 0.6, T);
    expect(above?.kind).toBe('robust-above-clean');
    expect(above?.message).toMatch(/likely gradient masking\.$/);
  });
});

/** A linear model and 30 examples labelled with its own predictions: 100 % accurate to start with. */
async function setup() {
  const f = linearFixture();
  const x = tf.randomUniform([30, 6], 0, 1, 'float32', 5);
  const y = tf.tidy(() => tf.cast(tf.argMax(f.view.forward({ x, y: tf.zeros([30]) }, null, { training: false }), -1), 'int32'));
  return { f, data: { x, y } };
}

describe('RobustnessMonitor', () => {
  it('keeps the weights of the best held-out check and puts them back; warns on a collapse', async () => {
    const { f, data } = await setup();
    const original = await Promise.all(f.variables.map(async (v) => Array.from(await v.data())));
    const warned: string[] = [];
    const monitor = new RobustnessMonitor(f.view, data, { epsilon: 1e-3, heldOut: data, onWarning: (w) => warned.push(w.kind) });
    const first = await monitor.check(1, 0.5);
    expect(first.check).toMatchObject({ step: 1, clean: 1, heldOut: 1, heldOutClean: 1 });
    const before = tf.memory().numTensors;
    tf.tidy(() => f.variables.forEach((v) => v.assign(tf.zerosLike(v))));
    const second = await monitor.check(2, 1);
    expect(second.check.heldOut).toBeLessThan(0.7);
    expect(warned).toEqual(['pgd-collapse']);
    expect(monitor.restoreBestWeights()).toBe(1);
    expect(await Promise.all(f.variables.map(async (v) => Array.from(await v.data())))).toEqual(original);
    expect(monitor.bestCheck?.step).toBe(1);
    monitor.dispose();
    expect(tf.memory().numTensors).toBe(before - 2);
    tf.dispose([data.x, data.y]);
    f.dispose();
  });

  it('checks every N steps and where training ends, as a fit callback', async () => {
    const { f, data } = await setup();
    const monitor = new RobustnessMonitor(f.view, data, { epsilon: 0.01, everySteps: 3 });
    const trainer = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.01) });
    const result = await fit(trainer, data, { epochs: 2, batchSize: 6, progress: false, callbacks: [monitor] });
    expect(result.steps).toBe(10);
    expect(monitor.checks.map((c) => c.step)).toEqual([3, 6, 9, 10]);
    expect(monitor.checks.every((c) => c.heldOut === null)).toBe(true);
    expect(monitor.restoredStep).toBeNull();
    monitor.dispose();
    trainer.dispose();
    tf.dispose([data.x, data.y]);
    f.dispose();
  });

  it('refuses bad options', async () => {
    const { f, data } = await setup();
    expect(() => new RobustnessMonitor(f.view, data, { epsilon: 0.3, collapse: 2 })).toThrow(
      '@advtrain/train: option "collapse" must be a number in (0, 1) (received 2).');
    expect(() => new RobustnessMonitor(f.view, data, { epsilon: 0.3, everystep: 5 } as never)).toThrow(/unknown option "everystep"/);
    expect(() => new RobustnessMonitor(f.view, data, { epsilon: 0.3, stopOn: ['nan'] } as never)).toThrow(
      /option "stopOn" must be a list of warning kinds from "fgsm-not-pgd", "pgd-collapse", "robust-above-clean"/);
    tf.dispose([data.x, data.y]);
    f.dispose();
  });
});
