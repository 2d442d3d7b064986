import {
  ascentStep, correctMask, createStepContext, inspectStep, probe, type Batch,
} from '@advtrain/core';
import { disposeBatch, mlpFixture, values } from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PGD_MNIST_PRESET, pgd } from './index.js';

const rows = async (t: tf.Tensor): Promise<number[][]> => {
  const v = Array.from(await values(t));
  const width = v.length / (t.shape[0] as number);
  return Array.from({ length: t.shape[0] as number }, (_, i) => v.slice(i * width, (i + 1) * width));
};

describe('pgd earlyStop', () => {
  const step = { epsilon: 0.3, stepSize: 0.1, randomStart: false } as const;

  it('moves δ only for the examples classified correctly at the current δ', async () => {
    const fixture = mlpFixture({ batchSize: 12 });
    const batch = fixture.batch(2);
    const ctx = createStepContext({ view: fixture.view, batch });
    const clean = probe(ctx, { keepLogits: true, training: true });
    const correct = Array.from(await values(correctMask(clean.logits as tf.Tensor, batch.y)));
    // The oracle needs both kinds of example in the batch.
    expect(correct).toContain(1);
    expect(correct).toContain(0);

    // One step from δ = 0: correct examples take the plain step, the others keep δ = 0.
    const plain = inspectStep(pgd({ ...step, steps: 1 }), { view: fixture.view, batch });
    const early = inspectStep(pgd({ ...step, steps: 1, earlyStop: true }), { view: fixture.view, batch });
    const [p, e] = [await rows(plain.delta as tf.Tensor), await rows(early.delta as tf.Tensor)];
    correct.forEach((c, i) => expect(e[i]).toEqual(c ? p[i] : (p[i] as number[]).map(() => 0)));

    // Second step: the mask is recomputed at δ₁, and the update is the plain step from δ₁.
    const two = inspectStep(pgd({ ...step, steps: 2, earlyStop: true }), { view: fixture.view, batch });
    const at1 = probe(ctx, { delta: early.delta as tf.Tensor, wrtDelta: true, keepLogits: true });
    const moved = ascentStep(ctx, early.delta as tf.Tensor, at1.deltaGrad as tf.Tensor, { norm: 'linf', stepSize: 0.1, epsilon: 0.3 });
    const still = Array.from(await values(correctMask(at1.logits as tf.Tensor, batch.y)));
    const [m, d1, d2] = [await rows(moved), e, await rows(two.delta as tf.Tensor)];
    still.forEach((c, i) => expect(d2[i]).toEqual(c ? m[i] : d1[i]));

    tf.dispose([clean.loss, clean.logits as tf.Tensor, at1.loss, at1.logits as tf.Tensor, at1.deltaGrad as tf.Tensor, moved]);
    for (const r of [plain, early, two]) tf.dispose([r.delta as tf.Tensor, r.loss, ...Object.values(r.grads)]);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('leaves δ at its start when every example is already misclassified, and leaks nothing', async () => {
    const fixture = mlpFixture({ batchSize: 6 });
    const batch = fixture.batch(0);
    const logits = tf.tidy(() => fixture.view.forward(batch, null, { training: true }));
    // Labels that are never the prediction: (argmax + 1) mod C.
    const wrong: Batch = { x: batch.x, y: tf.tidy(() => tf.mod(tf.add(tf.argMax(logits, -1), 1), 3)) };
    const before = tf.memory().numTensors;
    const r = inspectStep(pgd({ ...step, steps: 4, earlyStop: true }), { view: fixture.view, batch: wrong });
    expect(Array.from(await values(r.delta as tf.Tensor)).every((v) => v === 0)).toBe(true);
    tf.dispose([r.delta as tf.Tensor, r.loss, ...Object.values(r.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, wrong.y]);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('MNIST preset: ε 0.3, ten steps of 0.075, early stop; the option is checked', () => {
    expect(pgd(PGD_MNIST_PRESET).options).toMatchObject({ epsilon: 0.3, steps: 10, stepSize: 0.075, earlyStop: true });
    expect(() => pgd({ earlyStop: 'yes' } as never)).toThrow('@advtrain/pgd: option "earlyStop" must be true or false (received "yes").');
  });
});

describe('pgd ε scale', () => {
  it('scales the radius and the step size by ctx.epsilonScale', async () => {
    const fixture = mlpFixture({ batchSize: 5 });
    const batch = fixture.batch(1);
    const ctx = createStepContext({ view: fixture.view, batch, epsilonScale: 0.5 });
    const s = pgd({ epsilon: 0.3, stepSize: 0.2, steps: 3, randomStart: false });
    const half = s.innerMax(ctx, s.init({ view: fixture.view, seed: 0 }));
    const direct = inspectStep(pgd({ epsilon: 0.15, stepSize: 0.1, steps: 3, randomStart: false }), { view: fixture.view, batch });
    expect(Array.from(await values(half.delta as tf.Tensor))).toEqual(Array.from(await values(direct.delta as tf.Tensor)));
    tf.dispose([half.delta as tf.Tensor, direct.delta as tf.Tensor, direct.loss, ...Object.values(direct.grads)]);
    disposeBatch(batch);
    fixture.dispose();
  });
});
