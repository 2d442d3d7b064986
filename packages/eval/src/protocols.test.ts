import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { correctMask, type Batch } from '@advtrain/core';
import { disposeBatch, mlpFixture } from '@advtrain/core/testing';
import { PGD_50_10_MNIST, evaluateProtocol, inferenceLogits, pgdAttack, robustAccuracy } from './index.js';

const arr = async (t: tf.Tensor): Promise<number[]> => Array.from(await t.data());

describe('PGD early stop (evaluation)', () => {
  it('an example keeps the first δ that fools the model', async () => {
    const f = mlpFixture({ batchSize: 12 });
    const batch = f.batch(3);
    const one = { epsilon: 0.2, steps: 1, stepSize: 0.1, randomStart: false } as const;
    const clean = await arr(tf.tidy(() => correctMask(inferenceLogits(f.view, batch), batch.y)));
    expect(clean).toContain(0);
    expect(clean).toContain(1);
    const plain = await pgdAttack(f.view, batch, one);
    const early = await pgdAttack(f.view, batch, { ...one, earlyStop: true });
    const [p, e] = [await arr(plain.delta), await arr(early.delta)];
    const width = p.length / 12;
    clean.forEach((c, i) => {
      const row = (v: number[]) => v.slice(i * width, (i + 1) * width);
      expect(row(e)).toEqual(c ? row(p) : row(p).map(() => 0));
    });
    tf.dispose([plain.delta, plain.correct, early.delta, early.correct]);
    disposeBatch(batch);
    f.dispose();
  });

  it('skips the restarts once every example is broken, and the protocol reports seconds', async () => {
    const f = mlpFixture({ batchSize: 6 });
    const batch = f.batch(0);
    const logits = inferenceLogits(f.view, batch);
    const wrong: Batch = { x: batch.x, y: tf.tidy(() => tf.mod(tf.add(tf.argMax(logits, -1), 1), 3)) };
    const before = tf.memory().numTensors;
    const r = await pgdAttack(f.view, wrong, { epsilon: 0.1, steps: 3, restarts: 4, earlyStop: true });
    // One restart of 3 attack passes and its final forward; the other three are skipped.
    expect(r.passes.forward).toBe(4);
    expect(await arr(r.correct)).toEqual([0, 0, 0, 0, 0, 0]);
    tf.dispose([r.delta, r.correct]);
    expect(tf.memory().numTensors).toBe(before);

    const lines: string[] = [];
    const result = await evaluateProtocol(f.view, batch, PGD_50_10_MNIST, { batchSize: 4, progress: { write: (t: string) => lines.push(t) } });
    const direct = await robustAccuracy(f.view, batch, PGD_50_10_MNIST.attack, { batchSize: 4 });
    expect(result.accuracy).toBe(direct.accuracy);
    expect(result.attack).toBe('pgd-50 linf ε=0.3 restarts=10 early-stop');
    expect(result.seconds).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^pgd-50 linf ε=0\.3 restarts=10 early-stop done: \d\/6 = /);
    tf.dispose([logits, wrong.y]);
    disposeBatch(batch);
    f.dispose();
  });
});
