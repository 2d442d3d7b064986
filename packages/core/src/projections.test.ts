import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { l2Norm, linfNorm, stableL2Norm } from './norms.js';
import { clampToRange, clipLinf, normalizeL2, normalizeLinf, projectL2, scaleToL2 } from './projections.js';
import { values } from './testing/index.js';

// Random shapes of rank 2–4 (batch first) with values that include exact zeros.
const tensorArb = fc.tuple(
  fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  fc.constantFrom(0, 1e-6, 1, 100),
  fc.double({ min: 0, max: 0.5, noNaN: true }),
).map(([shape, seed, scale, zeroFraction]) => ({ shape, seed, scale, zeroFraction }));

function build({ shape, seed, scale, zeroFraction }: { shape: number[]; seed: number; scale: number; zeroFraction: number }): tf.Tensor {
  return tf.tidy(() => {
    const v = tf.randomNormal(shape, 0, scale || 1, 'float32', seed);
    const keep = tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed + 1), zeroFraction);
    return scale === 0 ? tf.zeros(shape) : tf.where(keep, v, tf.zerosLike(v));
  });
}

function perExample(data: Float32Array, batch: number, reduce: (part: Float32Array) => number): number[] {
  const size = data.length / batch;
  return Array.from({ length: batch }, (_, b) => reduce(data.subarray(b * size, (b + 1) * size)));
}
const l2 = (p: Float32Array) => Math.sqrt(p.reduce((s, v) => s + v * v, 0));
const linf = (p: Float32Array) => p.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const runs = { numRuns: 25 };

describe('norms and projections (property-based, random shapes, zeros included)', () => {
  it('projectL2 lands inside the ball, leaves inside points alone and never makes NaN', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, fc.double({ min: 1e-3, max: 10, noNaN: true }), async (spec, eps) => {
      const d = build(spec);
      const p = projectL2(d, eps);
      const [dv, pv] = [await values(d), await values(p)];
      const batch = spec.shape[0] as number;
      const before = perExample(dv, batch, l2);
      perExample(pv, batch, l2).forEach((n, b) => {
        expect(Number.isNaN(n)).toBe(false);
        expect(n).toBeLessThanOrEqual(eps * (1 + 1e-5));
        if ((before[b] as number) <= eps) expect(n).toBeCloseTo(before[b] as number, 5);
      });
      tf.dispose([d, p]);
    }), runs);
  });

  it('clipLinf keeps every coordinate in [−ε, ε]', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, fc.double({ min: 1e-3, max: 10, noNaN: true }), async (spec, eps) => {
      const c = clipLinf(build(spec), eps);
      expect(linf(await values(c))).toBeLessThanOrEqual(Math.fround(eps));
      c.dispose();
    }), runs);
  });

  it('normalizeL2 gives unit norm per example, and exactly zero (not NaN) for a zero gradient', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, async (spec) => {
      const g = build(spec);
      const u = normalizeL2(g, { guard: 1e-12 });
      const batch = spec.shape[0] as number;
      const gn = perExample(await values(g), batch, l2);
      perExample(await values(u), batch, l2).forEach((n, b) => {
        expect(Number.isNaN(n)).toBe(false);
        if (gn[b] === 0) expect(n).toBe(0);
        else if ((gn[b] as number) > 1e-9) expect(n).toBeCloseTo(1, 4);
      });
      tf.dispose([g, u]);
    }), runs);
  });

  it('normalizeLinf gives max-abs 1 per token, 0 for zero tokens', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, async (spec) => {
      const g = build(spec);
      const u = normalizeLinf(g, { scope: 'token', guard: 1e-12 });
      const last = spec.shape[spec.shape.length - 1] as number;
      const gv = await values(g);
      const uv = await values(u);
      for (let t = 0; t < gv.length / last; t++) {
        const m = linf(uv.subarray(t * last, (t + 1) * last));
        const src = linf(gv.subarray(t * last, (t + 1) * last));
        if (src === 0) expect(m).toBe(0);
        else if (src > 1e-9) expect(m).toBeCloseTo(1, 5);
      }
      tf.dispose([g, u]);
    }), runs);
  });

  it('scaleToL2 puts every non-zero example exactly on the sphere of radius ε (Miyato stable norm)', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, fc.double({ min: 0.01, max: 10, noNaN: true }), async (spec, eps) => {
      const g = build(spec);
      const r = scaleToL2(g, eps);
      const batch = spec.shape[0] as number;
      const gn = perExample(await values(g), batch, l2);
      perExample(await values(r), batch, l2).forEach((n, b) => {
        expect(Number.isNaN(n)).toBe(false);
        if (gn[b] === 0) expect(n).toBe(0);
        // The 1e-6 inside the stable norm's sqrt adds at most 5e-7 relative error, since Σ(g/a)² ≥ 1.
        else expect(Math.abs(n - eps) / eps).toBeLessThan(1e-5);
      });
      tf.dispose([g, r]);
    }), runs);
  });

  it('clampToRange keeps x + δ in [lo, hi] and changes δ only where it left the range', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, async (spec) => {
      const d = tf.mul(build(spec), 0.3);
      const x = tf.randomUniform(spec.shape, 0, 1, 'float32', spec.seed + 7);
      const c = clampToRange(x, d, [0, 1]);
      const [xv, dv, cv] = [await values(x), await values(d), await values(c)];
      for (let i = 0; i < xv.length; i++) {
        const v = (xv[i] as number) + (cv[i] as number);
        expect(v).toBeGreaterThanOrEqual(-1e-6);
        expect(v).toBeLessThanOrEqual(1 + 1e-6);
        const inside = (xv[i] as number) + (dv[i] as number);
        if (inside >= 0 && inside <= 1) expect(cv[i]).toBeCloseTo(dv[i] as number, 6);
      }
      tf.dispose([d, x, c]);
    }), runs);
  });

  it('l2Norm, linfNorm and stableL2Norm agree with plain JavaScript per example', async () => {
    await fc.assert(fc.asyncProperty(tensorArb, async (spec) => {
      const g = build(spec);
      const batch = spec.shape[0] as number;
      const gv = await values(g);
      const [a, b, c] = [l2Norm(g), linfNorm(g), stableL2Norm(g)];
      const [av, bv, cv] = [await values(a), await values(b), await values(c)];
      perExample(gv, batch, l2).forEach((n, i) => expect(av[i]).toBeCloseTo(n, 3));
      perExample(gv, batch, linf).forEach((n, i) => expect(bv[i]).toBe(Math.fround(n)));
      perExample(gv, batch, l2).forEach((n, i) => expect(Math.abs((cv[i] as number) - n)).toBeLessThanOrEqual(2e-3 * ((bv[i] as number) + 1e-12) + 1e-5 * n));
      tf.dispose([g, a, b, c]);
    }), runs);
  });
});
