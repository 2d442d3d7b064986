import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng, fillNormal, fillUniform, nextSeed, randomNormal, randomUniform } from './random.js';
import { values } from './testing/index.js';

describe('seeded randomness', () => {
  it('is a pure function of the state, and the state advances', async () => {
    const rng = createRng(42);
    const [a, next] = randomUniform(rng, [3, 4], -1, 1);
    const [b] = randomUniform(rng, [3, 4], -1, 1);
    const [c] = randomUniform(next, [3, 4], -1, 1);
    expect(Array.from(await values(a))).toEqual(Array.from(await values(b)));
    expect(Array.from(await values(a))).not.toEqual(Array.from(await values(c)));
    expect(next).toEqual({ seed: 42, counter: 1 });
    tf.dispose([a, b, c]);
  });

  it('gives different seeds for different run seeds and counters', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 20; s++) {
      let rng = createRng(s);
      for (let k = 0; k < 20; k++) {
        const [seed, next] = nextSeed(rng);
        seen.add(seed);
        rng = next;
      }
    }
    expect(seen.size).toBe(400);
  });

  it('round-trips through JSON', () => {
    const [, rng] = nextSeed(createRng(7));
    expect(JSON.parse(JSON.stringify(rng))).toEqual(rng);
  });
});

describe('the hashed generators', () => {
  const moments = (v: Float32Array) => {
    let mean = 0;
    for (const x of v) mean += x / v.length;
    let variance = 0;
    for (const x of v) variance += (x - mean) ** 2 / v.length;
    return { mean, variance };
  };

  it('uniform: range, mean 0.5 and variance 1/12 within 4 standard errors on 2^17 draws', () => {
    const v = fillUniform(12345, new Float32Array(2 ** 17));
    expect(v.reduce((m, x) => Math.min(m, x), 1)).toBeGreaterThanOrEqual(0);
    expect(v.reduce((m, x) => Math.max(m, x), 0)).toBeLessThan(1);
    const { mean, variance } = moments(v);
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / v.length));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * Math.sqrt(1 / 180 / v.length));
    // Ten equal bins hold a tenth each (chi-square, 9 degrees of freedom, p < 1e-4 above 33.7).
    const bins = new Array(10).fill(0);
    for (const x of v) bins[Math.floor(x * 10)]++;
    const chi2 = bins.reduce((s, b) => s + (b - v.length / 10) ** 2 / (v.length / 10), 0);
    expect(chi2).toBeLessThan(33.7);
  });

  it('uniform: lo and hi scale the draw, value i depends only on (seed, i)', () => {
    const unit = fillUniform(7, new Float32Array(64));
    const wide = fillUniform(7, new Float32Array(64), -3, 5);
    const prefix = fillUniform(7, new Float32Array(10));
    wide.forEach((w, i) => expect(w).toBeCloseTo(-3 + 8 * unit[i]!, 5));
    expect(Array.from(prefix)).toEqual(Array.from(unit.subarray(0, 10)));
    expect(Array.from(fillUniform(8, new Float32Array(10)))).not.toEqual(Array.from(prefix));
  });

  it('normal: mean 0, variance 1, kurtosis 3 and the 1.96 quantile within sampling error', () => {
    const v = fillNormal(99, new Float32Array(2 ** 17 + 1)); // odd length fills the last value too
    const { mean, variance } = moments(v);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(v.length));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / v.length));
    let fourth = 0;
    for (const x of v) fourth += x ** 4 / v.length;
    expect(Math.abs(fourth - 3)).toBeLessThan(4 * Math.sqrt(96 / v.length));
    const outside = v.filter((x) => Math.abs(x) > 1.959964).length / v.length;
    expect(Math.abs(outside - 0.05)).toBeLessThan(4 * Math.sqrt(0.05 * 0.95 / v.length));
    expect(Number.isFinite(v[v.length - 1]!)).toBe(true);
  });

  it('neighbouring values of one draw are uncorrelated (lag 1 and lag 2)', () => {
    const a = fillUniform(4242, new Float32Array(2 ** 16 + 2));
    for (const lag of [1, 2]) {
      let c = 0;
      for (let i = 0; i + lag < a.length; i++) c += (a[i]! - 0.5) * (a[i + lag]! - 0.5) * 12 / (a.length - lag);
      expect(Math.abs(c)).toBeLessThan(4 / Math.sqrt(a.length));
    }
  });

  it('normal: the ziggurat tail and wedges give the right two-sided tail masses (|x| > 1, 3, r = 3.4426)', () => {
    const v = fillNormal(2024, new Float32Array(2 ** 18));
    for (const [z, mass] of [[1, 0.31731050786291415], [3, 0.0026997960632601913], [3.442619855899, 0.0005761085123916405]]) {
      const share = v.filter((x) => Math.abs(x) > z!).length / v.length;
      expect(Math.abs(share - mass!)).toBeLessThan(4 * Math.sqrt(mass! * (1 - mass!) / v.length));
    }
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('draws from neighbouring seeds are uncorrelated', () => {
    const a = fillUniform(1000, new Float32Array(2 ** 16));
    const b = fillUniform(1001, new Float32Array(2 ** 16));
    let c = 0;
    for (let i = 0; i < a.length; i++) c += (a[i]! - 0.5) * (b[i]! - 0.5) * 12 / a.length;
    expect(Math.abs(c)).toBeLessThan(4 / Math.sqrt(a.length));
  });

  it('randomNormal applies mean and std', async () => {
    const [t] = randomNormal(createRng(3), [2, 4], 10, 0.5);
    const [u] = randomNormal(createRng(3), [2, 4]);
    const [tv, uv] = [await values(t), await values(u)];
    tv.forEach((x, i) => expect(x).toBeCloseTo(10 + 0.5 * uv[i]!, 5));
    tf.dispose([t, u]);
  });
});
