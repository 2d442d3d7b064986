import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { functionModel } from '@advtrain/core';
import { projectOntoHyperplane } from './fab-projection.js';
import { fabAttack } from './index.js';

const project = (t: number[], w: number[], b: number, norm: 'linf' | 'l2', box: [number, number] = [0, 1]) =>
  Array.from(projectOntoHyperplane(t, w, b, box, norm, new Float64Array(t.length)));

describe('projectOntoHyperplane', () => {
  it('without a binding box: −c·w/‖w‖₂² (L2) and −c·sign(w)/‖w‖₁ (L∞)', () => {
    const [t, w] = [[0.5, 0.4, 0.6], [2, -1, 0.5]];
    const c = 2 * 0.5 - 0.4 + 0.3 - 0.5; // ⟨w, t⟩ − b with b = 0.5
    project(t, w, 0.5, 'l2').forEach((v, i) => expect(v).toBeCloseTo((-c * w[i]!) / (4 + 1 + 0.25), 10));
    project(t, w, 0.5, 'linf').forEach((v, i) => expect(v).toBeCloseTo((-c * Math.sign(w[i]!)) / 3.5, 10));
  });

  it('with the box binding, and the closest move when the plane is out of reach', () => {
    // Need ⟨w, d⟩ = −0.8 with w = [1, 1], t = [0.9, 0.5]: λ = 0.4 moves both coordinates.
    expect(project([0.9, 0.5], [1, 1], 0.6, 'linf')).toEqual([-0.4, -0.4].map((v) => expect.closeTo(v, 10)));
    // Need −1.2: the second coordinate stops at 0 (room 0.5), the first goes on to 0.7.
    expect(project([0.9, 0.5], [1, 1], 0.2, 'linf')).toEqual([-0.7, -0.5].map((v) => expect.closeTo(v, 10)));
    // L2 with w = [2, 1], need −2: d = −λ·w with λ = 0.4 (neither bound reached).
    expect(project([0.9, 0.5], [2, 1], 0.3, 'l2')).toEqual([-0.8, -0.4].map((v) => expect.closeTo(v, 10)));
    // Unreachable inside [0, 1]: every coordinate at its bound.
    expect(project([0.9, 0.5], [2, 1], -5, 'l2')).toEqual([-0.9, -0.5].map((v) => expect.closeTo(v, 10)));
    // The other side of the plane: coordinates move up toward 1.
    expect(project([0.2, 0.5], [1, -1], 0.1, 'linf')).toEqual([0.2, -0.2].map((v) => expect.closeTo(v, 10)));
  });
});

describe('fabAttack (FAB-T)', () => {
  const V = [0.9, -0.4, 0.7, -1.2, 0.3, -0.8, 1.1, -0.5];
  for (const norm of ['l2', 'linf'] as const) {
    it(`${norm}: finds the minimum-norm boundary point of a linear model (broken iff distance ≤ ε)`, async () => {
      const size = norm === 'l2' ? Math.hypot(...V) : V.reduce((p, v) => p + Math.abs(v), 0);
      const unit = norm === 'l2' ? 0.1 : 0.02;
      const base = 0.5 * V.reduce((p, v) => p + v, 0);
      // Class 1 is the only reachable rival (classes 2 and 3 sit 50 below); distance to it = margin / ‖v‖_dual.
      const w = tf.variable(tf.tensor2d(V.map((v) => [0, v, 0, 0])));
      const b = tf.variable(tf.tensor1d([base + 3 * unit * size, 0, -50, -50]));
      const view = functionModel({ variables: [w, b], validRange: [0, 1], forward: (x) => tf.add(tf.matMul(x, w), b) });
      // Lowering x_3 (v_3 < 0) by k·unit·size/1.2 takes k units off the distance: distances 1, 2, 3 units.
      const rows = [2, 1, 0].map((k) => V.map((_, j) => (j === 3 ? 0.5 - (k * unit * size) / 1.2 : 0.5)));
      const batch = { x: tf.tensor2d(rows), y: tf.tensor1d([0, 0, 0], 'int32') };
      const before = tf.memory().numTensors;
      const { delta, correct } = await fabAttack(view, batch, { epsilon: 2.1 * unit, norm, steps: 20 });
      expect(Array.from(correct)).toEqual([0, 0, 1]);
      const d = await delta.data();
      const found = [0, 1].map((i) => {
        const row = Array.from(d.slice(i * 8, (i + 1) * 8));
        return norm === 'l2' ? Math.hypot(...row) : Math.max(...row.map(Math.abs));
      });
      // Minimum norm: within a few percent of the true distance (FAB overshoots by η = 1.05 at most).
      expect(found[0]! / unit).toBeGreaterThan(0.999);
      expect(found[0]! / unit).toBeLessThan(1.06);
      expect(found[1]! / (2 * unit)).toBeGreaterThan(0.999);
      expect(found[1]! / (2 * unit)).toBeLessThan(1.06);
      delta.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([w, b, batch.x, batch.y]);
    });
  }
});
