import { describe, expect, it } from 'vitest';
import { portableExp, portableLog } from './portable-math.js';

/** Distance in units in the last place between two float64 values of one sign. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Math.abs(Number(view.getBigInt64(0) - view.getBigInt64(8)));
}

/** Deterministic points: an LCG mapped into [lo, hi). */
function points(n: number, lo: number, hi: number): number[] {
  let s = 12345;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

describe('portableExp and portableLog (+ − × ÷ only, the same bits in every engine)', () => {
  it('exp is within 1 ulp of Math.exp over [−745, 709], the ziggurat\'s range included', () => {
    let worst = 0;
    for (const y of [...points(20000, -60, 0), ...points(5000, -745, 709)]) worst = Math.max(worst, ulps(portableExp(y), Math.exp(y)));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('log is within 2 ulp of Math.log from subnormals to 1e300', () => {
    let worst = 0;
    const xs = [...points(20000, 2 ** -25, 1), ...points(5000, 1, 1e6), 5e-324, 1e-310, 2.2250738585072014e-308, 1e300];
    for (const x of xs) worst = Math.max(worst, ulps(portableLog(x), Math.log(x)));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('exact and limiting values', () => {
    expect(portableExp(0)).toBe(1);
    expect(portableLog(1)).toBe(0);
    expect(portableLog(2)).toBe(Math.LN2);
    expect(portableExp(-746)).toBe(0);
    expect(portableExp(710)).toBe(Infinity);
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Number.NaN)).toBeNaN();
    expect(portableLog(Infinity)).toBe(Infinity);
  });
});
