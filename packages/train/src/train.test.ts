import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Trainer, clean } from '@advtrain/core';
import { linearFixture } from '@advtrain/core/testing';
import {
  bestCheckpoint, checkDataset, earlyStopping, epochBatches, evaluateEachEpoch, fit, loadCheckpoint, readDataFile,
  robustEvaluation, shuffledIndices,
} from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'advtrain-train-'));

function dataset(n = 40) {
  return { x: tf.randomUniform([n, 6], 0, 1, 'float32', 7), y: tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 5) % 3), 'int32') };
}

function sink(isTTY = false) {
  const chunks: string[] = [];
  return { isTTY, columns: 100, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

async function run(epochs: number, options: Partial<Parameters<typeof fit>[2]> = {}) {
  const f = linearFixture();
  const optimizer = tf.train.sgd(0.1);
  const trainer = new Trainer(clean(), { view: f.view, optimizer, seed: 3 });
  const data = dataset();
  const result = await fit(trainer, data, { epochs, batchSize: 8, progress: false, ...options });
  const weights = await Promise.all(f.variables.map(async (v) => Array.from(await v.data())));
  tf.dispose([data.x, data.y]);
  trainer.dispose();
  optimizer.dispose();
  f.dispose();
  return { result, weights };
}

describe('batches', () => {
  it('are a deterministic permutation per (seed, epoch)', async () => {
    const a = shuffledIndices(50, 1, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffledIndices(50, 1, 0)).toEqual(a);
    expect(shuffledIndices(50, 1, 1)).not.toEqual(a);
    expect(shuffledIndices(50, 2, 0)).not.toEqual(a);
    const data = { x: tf.tensor2d(Array.from({ length: 10 }, (_, i) => [i]), [10, 1]), y: tf.range(0, 10, 1, 'int32') };
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    for (const b of epochBatches(data, 0, { batchSize: 4, seed: 1 })) seen.push(...Array.from(await b.y.data()));
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual(Array.from(shuffledIndices(10, 1, 0)));
    tf.dispose([data.x, data.y]);
  });

  it('reject empty data, mismatched shapes and unreadable paths with clear messages', async () => {
    const empty = { x: tf.zeros([0, 3]), y: tf.zeros([0]) };
    expect(() => checkDataset(empty)).toThrow('@advtrain/train: dataset is empty (received x as a float32 tensor of shape [0, 3]).');
    const bad = { x: tf.zeros([4, 3]), y: tf.zeros([5]) };
    expect(() => checkDataset(bad, 'training data')).toThrow('@advtrain/train: training data.y must hold one label per example of training data.x (4), received a float32 tensor of shape [5].');
    expect(() => [...epochBatches(bad, 0, { batchSize: 0 })]).toThrow(/@advtrain\/train: .*y must hold one label/);
    const ok = { x: tf.zeros([4, 3]), y: tf.zeros([4]) };
    expect(() => [...epochBatches(ok, 0, { batchSize: 0 })]).toThrow('@advtrain/train: option "batchSize" must be an integer >= 1 (received 0).');
    await expect(readDataFile('/nope/train-images', 'MNIST images')).rejects.toThrow(/@advtrain\/train: cannot read MNIST images "\/nope\/train-images" \(ENOENT/);
    await expect(loadCheckpoint(join(dir, 'missing.json'))).rejects.toThrow(/cannot read checkpoint file .*missing\.json.*ENOENT/);
    tf.dispose([empty.x, empty.y, bad.x, bad.y, ok.x, ok.y]);
  });
});

describe('fit', () => {
  it('rejects bad options naming them', async () => {
    await expect(run(0)).rejects.toThrow('@advtrain/train: option "epochs" must be an integer >= 1 (received 0).');
    await expect(run(1, { resume: true })).rejects.toThrow(/option "checkpointPath" must be a file path when "resume" is true/);
  });

  it('prints a bar on a TTY and plain lines otherwise', async () => {
    const tty = sink(true);
    await run(1, { progress: tty, label: 'clean' });
    expect(tty.text()).toMatch(/\rclean epoch 1\/1 \[#+\] 5\/5 loss/);
    const plain = sink(false);
    await run(2, { progress: plain });
    expect(plain.text()).not.toContain('\r');
    expect(plain.text()).toMatch(/^epoch 1\/2 1\/5 loss/m);
    expect(plain.text()).toMatch(/^epoch 2\/2 done: loss \d/m);
  });

  it('resumes an interrupted run exactly from its checkpoint file', async () => {
    const path = join(dir, 'run.json');
    const whole = await run(3);
    await run(1, { checkpointPath: path });
    expect((await loadCheckpoint(path)).epoch).toBe(1);
    const resumed = await run(3, { checkpointPath: path, resume: true });
    expect(resumed.result.resumedFrom).toBe(1);
    expect(resumed.result.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    expect(resumed.weights).toEqual(whole.weights);
  });

  it('early stopping and the best checkpoint follow the monitored metric', async () => {
    const scores = [0.5, 0.6, 0.55, 0.54, 0.9];
    const best = bestCheckpoint(join(dir, 'best.json'));
    const stop = earlyStopping({ patience: 2 });
    const { result } = await run(5, { callbacks: [evaluateEachEpoch(async (e) => ({ robustAccuracy: scores[e] as number })), best, stop] });
    expect(result.stoppedBy).toBe('callback');
    expect(result.history).toHaveLength(4);
    expect(result.stopReason).toMatch(/early stopping: robustAccuracy has not improved on 0.6 for 2 epochs/);
    expect(best.bestEpoch).toBe(1);
    expect((await loadCheckpoint(join(dir, 'best.json'))).meta).toEqual({ monitor: 'robustAccuracy', best: 0.6 });
  });

  it('a wall-clock budget stops the loop; robustEvaluation records accuracies', async () => {
    const f = linearFixture();
    const test = dataset(12);
    const optimizer = tf.train.sgd(0.1);
    const trainer = new Trainer(clean(), { view: f.view, optimizer });
    const data = dataset();
    const result = await fit(trainer, data, { epochs: 3, batchSize: 8, progress: false, minutes: 1e-9,
      callbacks: [robustEvaluation(f.view, test, { epsilon: 0.1, steps: 2 })] });
    expect(result.stoppedBy).toBe('time');
    expect(result.steps).toBe(1);
    const m = result.history[0]?.metrics ?? {};
    expect(m.robustAccuracy).toBeLessThanOrEqual(m.cleanAccuracy as number);
    expect(existsSync(join(dir, 'none.json'))).toBe(false);
    tf.dispose([data.x, data.y, test.x, test.y]);
    trainer.dispose();
    optimizer.dispose();
    f.dispose();
  });
});
