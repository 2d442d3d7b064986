import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FUSED_KERNELS } from './fused-kernels.js';
import { sumOfSquares } from './norms.js';
import { normalizedAscent, scaledAdd, signAscent } from './projections.js';
import { createRng, fillNormal, fillUniform, nextSeed, randomNormal, randomUniform } from './random.js';
import { values } from './testing/index.js';

// On every backend these run core's ops: on wasm prepared by @advtrain/backends its fused kernels,
// elsewhere the tfjs compositions. The expected values are computed here in JavaScript, float32 by float32.
const f32 = Math.fround;
const fused = () => Object.values(FUSED_KERNELS).filter((name) => tf.getKernel(name, tf.getBackend()) !== undefined);

describe(`fused δ-update ops on ${tf.getBackend() ?? 'the test backend'}`, () => {
  it('wasm serves every fused kernel, other backends none', () => {
    expect(fused()).toEqual(tf.getBackend() === 'wasm' ? Object.values(FUSED_KERNELS) : []);
  });

  it('randomUniform equals fillUniform bit for bit, for every length modulo 4', async () => {
    for (const n of [1, 2, 3, 4, 5, 4099]) {
      const rng = createRng(n);
      const [t] = randomUniform(rng, [n], -0.3, 0.7);
      expect(Array.from(await values(t))).toEqual(Array.from(fillUniform(nextSeed(rng)[0], new Float32Array(n), -0.3, 0.7)));
      t.dispose();
    }
  });

  it('randomNormal equals fillNormal (then mean + std · z in float32) bit for bit, wedge and tail draws included', async () => {
    for (const [n, mean, std] of [[1, 0, 1], [3, 0, 1], [4, 0, 1], [5, 0.5, 2], [4099, -3, 0.25], [65537, 0, 1]] as const) {
      const rng = createRng(n);
      const [t] = randomNormal(rng, [n], mean, std);
      const want = fillNormal(nextSeed(rng)[0], new Float32Array(n));
      if (mean !== 0 || std !== 1) want.forEach((z, i) => { want[i] = mean + std * z; });
      expect(Array.from(await values(t))).toEqual(Array.from(want));
      t.dispose();
    }
  });

  it('signAscent: clip(δ + a·sign(g), −ε, ε), then clamp(x + δ, lo, hi) − x, as float32 arithmetic (NaN and ±0 gradients give no move)', async () => {
    const d = [0.1, -0.2, 0.29, 0, -0.29, 0.05, 0.3, -0.3, 0.2];
    const g = [1, -2, 3, NaN, -0, 0, 1e-30, -5, 2];
    const x = [0.95, 0.1, 0.5, 0.9, 0.05, 1, 0, 0.5, 0.75];
    const [a, eps] = [0.07, 0.3];
    const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);
    const clip = (v: number, lo: number, hi: number) => (v > hi ? hi : v < lo ? lo : v);
    const step = d.map((v, i) => clip(f32(f32(v) + f32(a) * sign(g[i]!)), f32(-eps), f32(eps)));
    const clamped = step.map((v, i) => f32(clip(f32(f32(x[i]!) + v), 0, 1) - f32(x[i]!)));
    const [td, tg, tx] = [tf.tensor1d(d), tf.tensor1d(g), tf.tensor1d(x)];
    const before = tf.memory().numTensors;
    const plain = signAscent(td, tg, a, eps);
    const kept = signAscent(td, tg, a, eps, { x: tx, range: [0, 1] });
    const open = signAscent(td, tg, a, null);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(Array.from(await values(plain))).toEqual(step);
    expect(Array.from(await values(kept))).toEqual(clamped);
    expect(Array.from(await values(open))).toEqual(d.map((v, i) => f32(f32(v) + f32(a) * sign(g[i]!))));
    tf.dispose([td, tg, tx, plain, kept, open]);
  });

  it('sumOfSquares reduces trailing axes per scope with kept dims (within float32 rounding)', async () => {
    const shape = [3, 5, 7];
    const v = Array.from({ length: 105 }, (_, i) => Math.sin(i) * (i % 4));
    const x = tf.tensor(v, shape);
    const sq = v.map((e) => f32(f32(e) * f32(e)));
    const example = [0, 1, 2].map((b) => sq.slice(b * 35, (b + 1) * 35).reduce((s, e) => s + e, 0));
    const token = Array.from({ length: 15 }, (_, r) => sq.slice(r * 7, (r + 1) * 7).reduce((s, e) => s + e, 0));
    for (const [scope, want, kept] of [['example', example, [3, 1, 1]], ['token', token, [3, 5, 1]],
      ['batch', [example.reduce((s, e) => s + e, 0)], [1, 1, 1]]] as const) {
      const t = sumOfSquares(x, scope);
      expect(t.shape).toEqual(kept);
      (await values(t)).forEach((got, i) => expect(got).toBeCloseTo(want[i]!, 4));
      t.dispose();
    }
    x.dispose();
  });

  it('scaledAdd: a + s·b with s a number, one per example or one per token, as float32 arithmetic', async () => {
    const a = Array.from({ length: 24 }, (_, i) => i / 7);
    const b = Array.from({ length: 24 }, (_, i) => Math.cos(i));
    const [ta, tb] = [tf.tensor(a, [2, 3, 4]), tf.tensor(b, [2, 3, 4])];
    const expected = (scaleOf: (i: number) => number) => a.map((v, i) => f32(f32(v) + f32(f32(scaleOf(i)) * f32(b[i]!))));
    const perExample = [0.5, -3];
    const perToken = [1, 2, 3, 4, 5, 6];
    const cases: Array<[tf.Tensor | number, (i: number) => number]> = [
      [0.3, () => 0.3],
      [tf.tensor(perExample, [2, 1, 1]), (i) => perExample[Math.floor(i / 12)]!],
      [tf.tensor(perToken, [2, 3, 1]), (i) => perToken[Math.floor(i / 4)]!],
    ];
    for (const [scale, scaleOf] of cases) {
      const out = scaledAdd(ta, tb, scale);
      expect(Array.from(await values(out))).toEqual(expected(scaleOf));
      tf.dispose([out, ...(typeof scale === 'number' ? [] : [scale])]);
    }
    tf.dispose([ta, tb]);
  });

  it('normalizedAscent moves δ by exactly the step size along g in L2 and by at most it in L∞, per example', async () => {
    const g = tf.tensor([3, 4, 0, 0, 0, 0, -1, 2], [2, 4]);
    const delta = tf.zeros([2, 4]);
    const l2 = normalizedAscent(delta, g, 0.5, { norm: 'l2', guard: 1e-12, guardMode: 'max' });
    const linf = normalizedAscent(delta, g, 0.5, { norm: 'linf', guard: 1e-12, guardMode: 'max' });
    expect(Array.from(await values(l2))).toEqual([0.3, 0.4, 0, 0, 0, 0, -0.5 / Math.sqrt(5), 1 / Math.sqrt(5)].map(f32));
    expect(Array.from(await values(linf))).toEqual([0.375, 0.5, 0, 0, 0, 0, -0.25, 0.5]);
    tf.dispose([g, delta, l2, linf]);
  });

  it('the gradients through sumOfSquares and scaledAdd are the closed forms 2x, 1, s and Σ b', async () => {
    const x = tf.tensor([1, -2, 3, 0.5, 0, -1], [2, 3]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(sumOfSquares(t)))(x);
    expect(Array.from(await values(dx))).toEqual([2, -4, 6, 1, 0, -2]);
    const s = tf.tensor([2, -1], [2, 1]);
    const b = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const [da, db, ds] = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(scaledAdd(p, q, r)))([x, b, s]);
    expect(Array.from(await values(da!))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(await values(db!))).toEqual([2, 2, 2, -1, -1, -1]);
    expect(Array.from(await values(ds!))).toEqual([6, 15]);
    const [same] = tf.grads((p: tf.Tensor) => tf.sum(scaledAdd(p, p, s)))([b]);
    expect(Array.from(await values(same!))).toEqual([3, 3, 3, 0, 0, 0]);
    tf.dispose([x, b, dx, s, da!, db!, ds!, same!]);
  });

  it('int32 inputs take the composition', async () => {
    const x = tf.tensor([1, 2, 3], [1, 3], 'int32');
    const t = sumOfSquares(x);
    expect(Array.from(await values(t))).toEqual([14]);
    tf.dispose([x, t]);
  });
});
