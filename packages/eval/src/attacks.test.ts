import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { layersModelView } from '@advtrain/core';
import { disposeBatch, embeddingFixture, linearFixture, mlpFixture } from '@advtrain/core/testing';
import {
  CatastrophicOverfittingMonitor, cleanAccuracy, fgsmOptions, pgdAttack, robustAccuracy, robustnessReport,
} from './index.js';

async function arr(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

describe('pgdAttack', () => {
  it('L∞: δ stays in the ball and x + δ in [0, 1]', async () => {
    const f = mlpFixture({ batchSize: 8 });
    const batch = f.batch(0);
    const { delta, correct } = await pgdAttack(f.view, batch, { epsilon: 0.1, steps: 5, restarts: 2 });
    const d = await arr(delta);
    const x = await arr(batch.x);
    expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(0.1 + 1e-6);
    d.forEach((v, i) => { expect(x[i]! + v).toBeGreaterThanOrEqual(-1e-6); expect(x[i]! + v).toBeLessThanOrEqual(1 + 1e-6); });
    expect((await arr(correct)).every((v) => v === 0 || v === 1)).toBe(true);
    tf.dispose([delta, correct]);
    disposeBatch(batch);
    f.dispose();
  });

  it('L2: every example has ‖δ‖₂ ≤ ε', async () => {
    const f = mlpFixture({ batchSize: 6 });
    const batch = f.batch(1);
    const { delta, correct } = await pgdAttack(f.view, batch, { epsilon: 0.5, norm: 'l2', steps: 4 });
    const d = await arr(delta);
    const size = d.length / 6;
    for (let b = 0; b < 6; b++) {
      const n = Math.hypot(...d.slice(b * size, (b + 1) * size));
      expect(n).toBeLessThanOrEqual(0.5 * (1 + 1e-5));
    }
    tf.dispose([delta, correct]);
    disposeBatch(batch);
    f.dispose();
  });

  it('embedding site: per-example L2 ball and δ = 0 at padding', async () => {
    const f = embeddingFixture();
    const batch = f.batch(0);
    const { delta, correct } = await pgdAttack(f.view, batch, { epsilon: 0.3, norm: 'l2', steps: 3 });
    const [b, t, h] = delta.shape as [number, number, number];
    const d = await arr(delta);
    const ids = await arr(batch.x);
    for (let i = 0; i < b; i++) {
      expect(Math.hypot(...d.slice(i * t * h, (i + 1) * t * h))).toBeLessThanOrEqual(0.3 * (1 + 1e-5));
      for (let j = 0; j < t; j++) {
        if (ids[i * t + j] === 0) expect(d.slice((i * t + j) * h, (i * t + j + 1) * h).every((v) => v === 0)).toBe(true);
      }
    }
    tf.dispose([delta, correct]);
    disposeBatch(batch);
    f.dispose();
  });

  it('more restarts never raise robust accuracy; attacks never beat clean; no tensors leak', async () => {
    const f = linearFixture({ inputs: 6, classes: 3, batchSize: 32 });
    const data = f.batch(2);
    const before = tf.memory().numTensors;
    const clean = (await cleanAccuracy(f.view, data, { batchSize: 10 })).accuracy;
    const one = await robustAccuracy(f.view, data, { epsilon: 0.2, steps: 3, restarts: 1 }, { batchSize: 10 });
    const four = await robustAccuracy(f.view, data, { epsilon: 0.2, steps: 3, restarts: 4 }, { batchSize: 10 });
    const fgsm = await robustAccuracy(f.view, data, fgsmOptions(0.2));
    expect(tf.memory().numTensors).toBe(before);
    expect(one.total).toBe(32);
    expect(four.accuracy).toBeLessThanOrEqual(one.accuracy);
    expect(one.accuracy).toBeLessThanOrEqual(clean);
    expect(fgsm.accuracy).toBeLessThanOrEqual(clean);
    expect(one.attack).toBe('pgd-3 linf ε=0.2');
    expect(fgsm.attack).toBe('fgsm linf ε=0.2');
    disposeBatch(data);
    f.dispose();
  });

  it('rejects bad options and data with package-prefixed messages naming the value', async () => {
    const f = linearFixture();
    const batch = f.batch(0);
    await expect(pgdAttack(f.view, batch, { epsilon: -1 })).rejects.toThrow(/@advtrain\/eval: option "epsilon" must be .*received -1/);
    await expect(pgdAttack(f.view, batch, { epsilon: 0.1, stpes: 3 } as never)).rejects.toThrow(/Did you mean "steps"/);
    const empty = { x: tf.zeros([0, 6]), y: tf.zeros([0], 'int32') };
    await expect(cleanAccuracy(f.view, empty)).rejects.toThrow(/@advtrain\/eval: data is empty/);
    const bad = { x: tf.zeros([4, 6]), y: tf.zeros([3], 'int32') };
    await expect(cleanAccuracy(f.view, bad)).rejects.toThrow(/data\.y must have as many examples as data\.x \(4\), received a int32 tensor of shape \[3\]/);
    tf.dispose([empty.x, empty.y, bad.x, bad.y]);
    disposeBatch(batch);
    f.dispose();
  });
});

describe('evaluation leaves the model alone', () => {
  it('variables and batch-norm moving statistics are unchanged', async () => {
    const input = tfl.input({ shape: [8] });
    let h = tfl.layers.dense({ units: 16, kernelInitializer: 'glorotUniform' }).apply(input) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization().apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.dropout({ rate: 0.3 }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.activation({ activation: 'relu' }).apply(h) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3 }).apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const view = layersModelView(model, { validRange: [0, 1] });
    const all = [...model.trainableWeights, ...model.nonTrainableWeights].map((w) => w.read());
    expect(model.nonTrainableWeights.map((w) => w.name).join()).toMatch(/moving_mean.*moving_variance/);
    const before = await Promise.all(all.map(arr));
    const data = { x: tf.randomUniform([40, 8], 0, 1, 'float32', 3), y: tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3), 'int32') };
    const report = await robustnessReport(view, data, { epsilons: [0.05, 0.1], attack: { steps: 3, restarts: 2 }, stepSweep: [1, 3], batchSize: 16 });
    const after = await Promise.all(all.map(arr));
    expect(after).toEqual(before);
    expect(report.pgd.map((p) => p.epsilon)).toEqual([0.05, 0.1]);
    expect(report.fgsm).toHaveLength(2);
    expect(report.steps).toHaveLength(2);
    tf.dispose([data.x, data.y]);
    model.dispose();
  });
});

describe('CatastrophicOverfittingMonitor', () => {
  it('flags a drop of more than 0.2 and stops the loop', async () => {
    const f = linearFixture({ inputs: 6, classes: 3, batchSize: 20 });
    const labels = Array.from({ length: 20 }, (_, i) => i % 3);
    // x encodes its label, so W = 10·[I; 0] classifies every example correctly.
    const batch = { x: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 6), 'float32'), y: tf.tensor1d(labels, 'int32') };
    const [w, b] = f.variables as [tf.Variable, tf.Variable];
    w.assign(tf.mul(tf.eye(6, 3), 10));
    b.assign(tf.zeros([3]));
    const monitor = new CatastrophicOverfittingMonitor(f.view, batch, { epsilon: 0.1, steps: 2 });
    const stops: string[] = [];
    const info = (epoch: number) => ({ epoch, metrics: {} as Record<string, number>, stop: (r: string) => stops.push(r) });
    const first = info(0);
    await monitor.onEpochEnd(first);
    expect(first.metrics.monitorRobustAccuracy).toBe(1);
    expect(monitor.flagged).toBe(false);
    // Collapse: a constant prediction of class 2 (6 of the 20 labels).
    w.assign(tf.zerosLike(w));
    b.assign(tf.tensor1d([0, 0, 5]));
    await monitor.onEpochEnd(info(1));
    expect(monitor.history[1]?.robustAccuracy).toBeCloseTo(6 / 20);
    expect(monitor.flagged).toBe(true);
    expect(stops[0]).toMatch(/@advtrain\/eval: catastrophic overfitting at epoch 1: PGD accuracy on the monitor batch fell from 100.0 % to 30.0 %/);
    disposeBatch(batch);
    f.dispose();
  });
});
