import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { functionModel, type ModelView } from '@advtrain/core';
import { disposeBatch, embeddingFixture, linearFixture } from '@advtrain/core/testing';
import { autoAttack, gradientMaskingWarnings, robustAccuracy, type AutoAttackName } from './index.js';

const V = [1, -1, 1, 1, -1, -1, 1, -1, -1, 1, 1, -1, 1, -1, -1, 1];

/** Linear in round(10·x)/10: the gradient is zero almost everywhere. */
function quantised(): { view: ModelView; dispose(): void } {
  const w = tf.variable(tf.tensor2d(V.map((v) => [0, v, 0, 0])));
  const b = tf.variable(tf.tensor1d([1.92, 0, -50, -50]));
  const view = functionModel({ variables: [w, b], validRange: [0, 1],
    forward: (x) => tf.add(tf.matMul(tf.div(tf.round(tf.mul(x, 10)), 10), w), b) });
  return { view, dispose: () => { w.dispose(); b.dispose(); } };
}

const quick = { steps: 8, queries: 400, progress: false } as const;

/** Five classes with prototype weights; example i sits at a margin that grows with i, so ε splits the set. */
function prototypes(n: number): { view: ModelView; data: { x: tf.Tensor; y: tf.Tensor }; dispose(): void } {
  const W = Array.from({ length: 16 }, (_, j) => Array.from({ length: 5 }, (_, c) => Math.cos(1.3 * j + 2.1 * c)));
  const w = tf.variable(tf.tensor2d(W));
  const view = functionModel({ variables: [w], validRange: [0, 1], forward: (x) => tf.matMul(x, w) });
  const labels = Array.from({ length: n }, (_, i) => i % 5);
  const x = labels.map((c, i) => W.map((row, j) => 0.5 + (0.02 + 0.2 * (i / n)) * row[c]! + 0.01 * Math.sin(7 * i + j)));
  const data = { x: tf.tensor2d(x), y: tf.tensor1d(labels, 'int32') };
  return { view, data, dispose: () => tf.dispose([w, data.x, data.y]) };
}

describe('autoAttack', () => {
  it('catches gradient masking: PGD and the gradient attacks fail, Square breaks every example, warnings fire', async () => {
    const m = quantised();
    const data = { x: tf.tensor2d(Array.from({ length: 6 }, (_, i) => V.map((_, j) => 0.52 + 0.015 * Math.sin(i + 3 * j)))),
      y: tf.tensor1d([0, 0, 0, 0, 0, 0], 'int32') };
    const pgd = await robustAccuracy(m.view, data, { epsilon: 0.2, steps: 20 });
    const aa = await autoAttack(m.view, data, { epsilon: 0.2, ...quick });
    expect(pgd.accuracy).toBe(1);
    expect(aa.clean).toBe(1);
    expect(aa.accuracy).toBe(0);
    expect(aa.accuracyAfter).toEqual({ 'apgd-ce': 1, 'apgd-t': 1, 'fab-t': 1, square: 0 });
    expect(aa.brokenBy).toEqual(Array(6).fill('square'));
    const codes = gradientMaskingWarnings({ epsilonCurve: [{ epsilon: 0.2, accuracy: pgd.accuracy }], autoAttack: aa }).map((w) => w.code);
    expect(codes).toEqual(['AUTOATTACK_BELOW_PGD', 'SQUARE_BEATS_GRADIENT']);
    tf.dispose([data.x, data.y]);
    m.dispose();
  });

  it('the per-example worst case is never above any single attack; bookkeeping agrees; seeded', async () => {
    const f = prototypes(40);
    const data = f.data;
    const opts = { epsilon: 0.05, ...quick, queries: 150, batchSize: 16 };
    const aa = await autoAttack(f.view, data, opts);
    const again = await autoAttack(f.view, data, opts);
    expect(Array.from(again.robust)).toEqual(Array.from(aa.robust));
    expect(aa.total).toBe(40);
    // A real contest: some examples broken by attacks, some left.
    expect(aa.accuracy).toBeGreaterThan(0);
    expect(aa.accuracy).toBeLessThan(aa.clean);
    const after = aa.attacks.map((k) => aa.accuracyAfter[k]!);
    after.forEach((v, i) => expect(v).toBeLessThanOrEqual(i === 0 ? aa.clean : after[i - 1]!));
    expect(after.at(-1)).toBe(aa.accuracy);
    aa.robust.forEach((r, i) => expect(r === 1).toBe(aa.brokenBy[i] === null));
    expect(aa.correct).toBe(aa.robust.reduce((p, v) => p + v, 0));
    for (const name of aa.attacks) {
      const single = await autoAttack(f.view, data, { ...opts, version: [name] as AutoAttackName[] });
      expect(aa.accuracy).toBeLessThanOrEqual(single.accuracy);
      expect(single.clean).toBe(aa.clean);
    }
    expect(Object.keys(aa.seconds)).toEqual(['apgd-ce', 'apgd-t', 'fab-t', 'square']);
    f.dispose();
  });

  it('runs every attack over minibatches without leaking tensors, and reports progress', async () => {
    const f = linearFixture({ inputs: 16, classes: 4, batchSize: 20 });
    const data = f.batch(2);
    const lines: string[] = [];
    const stream = { write: (t: string) => lines.push(t) };
    const before = tf.memory().numTensors;
    const all = await autoAttack(f.view, data, { epsilon: 0.1, norm: 'l2', steps: 4, queries: 30, batchSize: 7,
      version: ['apgd-ce', 'apgd-dlr', 'apgd-t', 'fab-t', 'square'], progress: stream });
    const rand = await autoAttack(f.view, data, { epsilon: 0.1, version: 'rand', steps: 3, eotIterations: 2, progress: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(all.total).toBe(20);
    expect(rand.attacks).toEqual(['apgd-ce', 'apgd-dlr']);
    expect(lines.at(-1)).toMatch(/^autoattack done: clean \d+\.\d %, apgd-ce \d+\.\d % \(\d+\.\d s\), apgd-dlr .*square \d+\.\d % \(\d+\.\d s\) \(\d+\.\d s\)\n$/);
    expect(lines.length).toBeGreaterThan(1);
    disposeBatch(data);
    f.dispose();
  });

  it('rejects bad options and embedding sites with messages naming the option and the value', async () => {
    const f = linearFixture({ inputs: 6, classes: 3 });
    const data = f.batch(0);
    const run = (o: object) => autoAttack(f.view, data, { epsilon: 0.1, progress: false, ...o } as never);
    await expect(run({ epsilon: -1 })).rejects.toThrow(/@advtrain\/eval: option "epsilon" must be a finite number > 0 \(received -1\)/);
    await expect(run({ version: 'fast' })).rejects.toThrow(/option "version" must be 'standard', 'rand' or a non-empty list .* \(received "fast"\)/);
    await expect(run({ version: ['apgd-ce', 'pgd'] })).rejects.toThrow(/option "version" .*'square' \(received an array of length 2\)/);
    await expect(run({ quieries: 10 })).rejects.toThrow(/unknown option "quieries".*Did you mean "queries"\?/);
    await expect(run({ batchSize: 0 })).rejects.toThrow(/option "batchSize" must be an integer >= 1 \(received 0\)/);
    await expect(run({ progress: 'yes' })).rejects.toThrow(/option "progress" must be true, false or a stream/);
    // Three classes: the targeted DLR loss needs four.
    await expect(run({ version: ['apgd-t'] })).rejects.toThrow(/option "version" must be a list without 'apgd-t' for a model with 3 classes \(received an array of length 1\)\. The targeted DLR loss needs at least 4 classes/);
    const e = embeddingFixture();
    const text = e.batch(0);
    await expect(autoAttack(e.view, text, { epsilon: 0.1, progress: false })).rejects.toThrow(/AutoAttack perturbs model inputs; this view perturbs the embedding output/);
    disposeBatch(text);
    e.dispose();
    disposeBatch(data);
    f.dispose();
  });
});
