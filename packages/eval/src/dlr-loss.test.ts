import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dlrLoss, targetedDlrLoss } from './index.js';

const logits = () => tf.tensor2d([[3, 1, 0, -1, -2], [0.5, 2, -1, 1.5, 0], [-1, -3, 4, 0, 2]]);
const batchOf = (y: number[]) => ({ x: tf.zeros([y.length, 1]), y: tf.tensor1d(y, 'int32') });

async function values(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe('dlrLoss', () => {
  it('matches −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3)', async () => {
    const z = logits();
    const batch = batchOf([0, 3, 4]);
    const got = await values(dlrLoss(z, batch));
    // Row 0: y on top; row 1: y second (1.5 vs 2); row 2: y second (2 vs 4), π3 = 0.
    expect(got[0]).toBeCloseTo(-(3 - 1) / (3 - 0), 5);
    expect(got[1]).toBeCloseTo(-(1.5 - 2) / (2 - 0.5), 5);
    expect(got[2]).toBeCloseTo(-(2 - 4) / (4 - 0), 5);
    tf.dispose([z, batch.x, batch.y]);
  });

  it('is invariant to scaling and shifting the logits, targeted or not', async () => {
    const z = logits();
    const batch = batchOf([0, 3, 4]);
    const target = tf.tensor1d([1, 1, 2], 'int32');
    const base = await values(dlrLoss(z, batch));
    const baseT = await values(targetedDlrLoss(target)(z, batch));
    expect(baseT[0]).toBeCloseTo(-(3 - 1) / (3 - (0 - 1) / 2), 5);
    for (const [scale, shift] of [[0.01, 0], [37, 0], [1, -5], [4.5, 12]] as const) {
      const moved = tf.tidy(() => tf.add(tf.mul(z, scale), shift));
      const got = await values(dlrLoss(moved, batch));
      const gotT = await values(targetedDlrLoss(target)(moved, batch));
      got.forEach((v, i) => expect(v).toBeCloseTo(base[i]!, 4));
      gotT.forEach((v, i) => expect(v).toBeCloseTo(baseT[i]!, 4));
      moved.dispose();
    }
    // Cross-entropy is not invariant: the point of the DLR loss.
    const ce = (t: tf.Tensor) => tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.oneHot(batch.y, 5), tf.logSoftmax(t)), -1)));
    const scaled = tf.mul(z, 37);
    expect(Math.abs((await values(ce(scaled)))[1]! - (await values(ce(z)))[1]!)).toBeGreaterThan(1);
    tf.dispose([z, batch.x, batch.y, target]);
  });

  it('has the gradient of its formula (finite differences)', async () => {
    const z = logits();
    const batch = batchOf([0, 3, 4]);
    const target = tf.tensor1d([2, 0, 3], 'int32');
    for (const loss of [dlrLoss, targetedDlrLoss(target)]) {
      const g = await values(tf.grad((t: tf.Tensor) => tf.sum(loss(t, batch)))(z));
      const base = await z.data();
      const h = 1e-2;
      for (const k of [0, 1, 2, 3, 6, 8, 10, 12, 14]) {
        const plus = Float32Array.from(base); plus[k]! += h;
        const minus = Float32Array.from(base); minus[k]! -= h;
        const f = async (v: Float32Array) => {
          const t = tf.tensor2d(v, [3, 5]);
          const s = await values(tf.sum(loss(t, batch)));
          t.dispose();
          return s[0]!;
        };
        expect(g[k]).toBeCloseTo(((await f(plus)) - (await f(minus))) / (2 * h), 2);
      }
    }
    tf.dispose([z, batch.x, batch.y, target]);
  });
});
