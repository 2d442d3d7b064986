import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { functionModel, type ModelView } from '@advtrain/core';
import { gridOf, squareFraction, squarePattern } from './square-geometry.js';
import { robustAccuracy, squareAttack } from './index.js';

// 16 inputs laid out as a 4 × 4 grid; class 0 against class 1 (classes 2 and 3 sit far below).
const V = [1, -1, 1, 1, -1, -1, 1, -1, -1, 1, 1, -1, 1, -1, -1, 1];

/** logits of q(x)·[0, v, 0, 0] + b, q = round(x·k)/k when `levels` is set (zero gradient almost everywhere). */
function model(margin: number, levels: number | null): { view: ModelView; dispose(): void } {
  const w = tf.variable(tf.tensor2d(V.map((v) => [0, v, 0, 0])));
  const b = tf.variable(tf.tensor1d([margin, 0, -50, -50]));
  const view = functionModel({
    variables: [w, b], validRange: [0, 1],
    forward: (x) => tf.add(tf.matMul(levels ? tf.div(tf.round(tf.mul(x, levels)), levels) : x, w), b),
  });
  return { view, dispose: () => { w.dispose(); b.dispose(); } };
}

const rows = (n: number, centre: number) => tf.tensor2d(Array.from({ length: n }, (_, i) =>
  V.map((_, j) => centre + 0.015 * Math.sin(i + 3 * j))));

describe('square geometry', () => {
  it('lays flat inputs out as the squarest grid, halves p on the fixed schedule, and has unit patterns', () => {
    expect(gridOf([2, 784])).toEqual({ h: 28, w: 28, c: 1 });
    expect(gridOf([2, 6])).toEqual({ h: 2, w: 3, c: 1 });
    expect(gridOf([2, 32, 32, 3])).toEqual({ h: 32, w: 32, c: 3 });
    expect([0, 10, 11, 50, 51, 201, 4001, 9000].map((i) => squareFraction(i, 0.8)))
      .toEqual([0.8, 0.8, 0.4, 0.4, 0.2, 0.1, 0.8 / 128, 0.8 / 512]);
    const p = squarePattern(5, false);
    expect(Math.hypot(...p)).toBeCloseTo(1, 10);
    expect(p[2]).toBeGreaterThan(0); // top half positive, bottom half negative
    expect(p[22]).toBeLessThan(0);
    expect(Array.from(squarePattern(5, true))[10]).toBeCloseTo(p[2]!, 12);
  });
});

describe('squareAttack', () => {
  it('needs no gradient: on a quantised model PGD reports robustness and Square breaks it', async () => {
    // Worst case lowers the margin by 16 · 0.2 = 3.2 (each pixel crosses two levels); a random start rarely by 1.9.
    const m = model(1.92, 10);
    const x = rows(6, 0.52);
    const data = { x, y: tf.tensor1d([0, 0, 0, 0, 0, 0], 'int32') };
    const pgd = await robustAccuracy(m.view, data, { epsilon: 0.2, steps: 20 });
    expect(pgd.accuracy).toBe(1);
    const before = tf.memory().numTensors;
    const { delta, correct } = await squareAttack(m.view, data, { epsilon: 0.2, queries: 600, seed: 1 });
    expect(Array.from(correct)).toEqual([0, 0, 0, 0, 0, 0]);
    const d = await delta.data();
    expect(Math.max(...Array.from(d, Math.abs))).toBeLessThanOrEqual(0.2 + 1e-6);
    delta.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, data.y]);
    m.dispose();
  });

  it('L2: breaks what is within reach, never what is not, and keeps ‖δ‖₂ ≤ ε', async () => {
    // L2 distance to the boundary is margin / ‖v‖₂ = margin / 4; ε = 1.
    for (const [margin, broken] of [[1.2, true], [4.4, false]] as const) {
      const m = model(margin, null);
      const data = { x: rows(3, 0.5), y: tf.tensor1d([0, 0, 0], 'int32') };
      const { delta, correct } = await squareAttack(m.view, data, { epsilon: 1, norm: 'l2', queries: 300, seed: 2 });
      expect(Array.from(correct)).toEqual(broken ? [0, 0, 0] : [1, 1, 1]);
      const d = await delta.data();
      for (let i = 0; i < 3; i++) expect(Math.hypot(...d.slice(16 * i, 16 * (i + 1)))).toBeLessThanOrEqual(1 + 1e-5);
      tf.dispose([delta, data.x, data.y]);
      m.dispose();
    }
  });
});
