import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { functionModel, type ModelView } from '@advtrain/core';
import { apgdAttack } from './index.js';

/** logits = xW + b with fixed weights; x in [0, 1]. */
function linear(w: number[][], b: number[]): { view: ModelView; dispose(): void } {
  const wv = tf.variable(tf.tensor2d(w));
  const bv = tf.variable(tf.tensor1d(b));
  const view = functionModel({ variables: [wv, bv], validRange: [0, 1], forward: (x) => tf.add(tf.matMul(x, wv), bv) });
  return { view, dispose: () => { wv.dispose(); bv.dispose(); } };
}

const D = 8;
// Two classes; v = w_1 − w_0 fixes the ascent direction of the cross-entropy for label 0.
const V = [0.9, -0.4, 0.7, -1.2, 0.3, -0.8, 1.1, -0.5];
const W = V.map((v) => [0, v]);
const X = [
  [0.5, 0.2, 0.95, 0.1, 0.6, 0.05, 0.4, 0.7],
  [0.02, 0.9, 0.5, 0.97, 0.3, 0.5, 0.88, 0.15],
  [0.7, 0.6, 0.3, 0.4, 0.99, 0.2, 0.1, 0.5],
];

describe('apgdAttack', () => {
  it('L∞: reaches the closed-form maximiser of the cross-entropy on a linear model, box included', async () => {
    // Label 0 with a large margin: no point of the ball flips it, so the best-loss point is returned.
    const m = linear(W, [5, 0]);
    const batch = { x: tf.tensor2d(X), y: tf.tensor1d([0, 0, 0], 'int32') };
    const eps = 0.3;
    const { delta, correct } = await apgdAttack(m.view, batch, { epsilon: eps, steps: 20, seed: 3 });
    const d = await delta.data();
    X.forEach((row, i) => row.forEach((x, j) => {
      // Maximiser: δ_j = sign(v_j)·ε, cut where x + δ would leave [0, 1].
      const want = V[j]! > 0 ? Math.min(eps, 1 - x) : -Math.min(eps, x);
      expect(d[i * D + j]).toBeCloseTo(want, 5);
    }));
    expect(Array.from(correct)).toEqual([1, 1, 1]);
    tf.dispose([delta, batch.x, batch.y]);
    m.dispose();
  });

  it('L2: reaches ε·v/‖v‖ and breaks exactly the examples whose margin is below ε‖v‖', async () => {
    const norm = Math.hypot(...V);
    const eps = 0.15;
    // x = 0.5 everywhere gives margin z_0 − z_1 = 1.5·ε‖v‖ (safe); raising x_0 by t = ε‖v‖/v_0 leaves 0.5·ε‖v‖ (broken).
    const base = 0.5 * V.reduce((p, v) => p + v, 0);
    const m2 = linear(W, [base + 1.5 * eps * norm, 0]);
    const rows = [1, 1, 0, 0].map((k) => { const r = Array<number>(D).fill(0.5); r[0] = 0.5 + k * eps * norm / V[0]!; return r; });
    expect(rows[0]![0]).toBeLessThan(1);
    const batch = { x: tf.tensor2d(rows), y: tf.tensor1d([0, 0, 0, 0], 'int32') };
    const { delta, correct } = await apgdAttack(m2.view, batch, { epsilon: eps, norm: 'l2', steps: 30 });
    expect(Array.from(correct)).toEqual([0, 0, 1, 1]);
    const d = await delta.data();
    for (const i of [2, 3]) {
      // Near the optimum the loss is flat to float32 precision, so the best point stops moving at ~1e-4.
      for (let j = 0; j < D; j++) expect(d[i * D + j]).toBeCloseTo((eps * V[j]!) / norm, 3);
    }
    for (const i of [0, 1]) expect(Math.hypot(...d.slice(i * D, (i + 1) * D))).toBeLessThanOrEqual(eps * (1 + 1e-5));
    tf.dispose([delta, batch.x, batch.y]);
    m2.dispose();
  });

  it('APGD-T breaks the example toward a ranked target, deterministic per seed, no leaks', async () => {
    // Four classes; class 3 is close to class 0 for the first example only.
    const w = Array.from({ length: D }, (_, j) => [0, 0.5 * V[j]!, -V[j]!, V[j]!]);
    const m = linear(w, [1, -3, -3, 0]);
    const batch = { x: tf.tensor2d(X), y: tf.tensor1d([0, 0, 0], 'int32') };
    const before = tf.memory().numTensors;
    const a = await apgdAttack(m.view, batch, { epsilon: 0.15, loss: 'dlr-targeted', steps: 15, seed: 5 });
    const b = await apgdAttack(m.view, batch, { epsilon: 0.15, loss: 'dlr-targeted', steps: 15, seed: 5 });
    expect(Array.from(await a.delta.data())).toEqual(Array.from(await b.delta.data()));
    tf.dispose([a.delta, b.delta]);
    expect(tf.memory().numTensors).toBe(before);
    // z_0 − z_3 = 1 − v·x; the attack can lower it by Σ_j |v_j|·min(ε, room to the box).
    const expected = X.map((r) => {
      const margin = 1 - r.reduce((p, xv, j) => p + xv * V[j]!, 0);
      const reach = r.reduce((p, xv, j) => p + Math.abs(V[j]!) * Math.min(0.15, V[j]! > 0 ? 1 - xv : xv), 0);
      return margin - reach > 1e-3 ? 1 : 0;
    });
    expect(expected).toEqual([0, 1, 1]);
    expect(Array.from(a.correct)).toEqual(expected);
    tf.dispose([batch.x, batch.y]);
    m.dispose();
  });
});
