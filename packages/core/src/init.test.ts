import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng, maskedUniformInit, stopGradient } from './index.js';

describe('maskedUniformInit', () => {
  const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]]);

  it("'l2': ‖δ₀,b‖₂ ≤ m, exactly 0 at padding and for an all-padding example", async () => {
    const [delta, next] = maskedUniformInit(createRng(3), [3, 4, 5], mask, 0.7, 'l2');
    expect(next.counter).toBe(1);
    const norms = await tf.sqrt(tf.sum(tf.square(delta), [1, 2])).data();
    expect(norms[0]).toBeLessThanOrEqual(0.7);
    expect(norms[1]).toBeLessThanOrEqual(0.7);
    expect(norms[1]).toBeGreaterThan(0);
    expect(norms[2]).toBe(0);
    const d = await delta.data();
    for (let i = 0; i < 5 * 2; i++) expect(d[20 + 10 + i] === 0).toBe(true);
    delta.dispose();
  });

  it("'linf': |δ₀| ≤ m with no length scaling; a null mask perturbs everything", async () => {
    const [delta] = maskedUniformInit(createRng(4), [2, 50, 8], null, 0.3, 'linf');
    const d = Array.from(await delta.data());
    expect(d.every((v) => Math.abs(v) <= 0.3)).toBe(true);
    expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(0.29);
    delta.dispose();
  });
});

describe('stopGradient', () => {
  it('keeps the value and blocks the gradient', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, stopGradient(tf.square(v)))))(x);
    expect(Array.from(await g.data())).toEqual([1, 4, 9]);
    expect(Array.from(await stopGradient(x).data())).toEqual([1, 2, 3]);
    tf.dispose([x, g]);
  });
});
