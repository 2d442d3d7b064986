// The inner max's elementwise work on δ, each as one pass: @advtrain/core's fused kernels
// (AdvtrainRandomUniform, AdvtrainSignStep, AdvtrainSumOfSquares, AdvtrainScaledAdd). Each computes
// exactly what core's tfjs composition computes, in the same float32 operations, so the values are the
// ones cpu gives (bit for bit, except the order of a sum's terms).
import { hash32, hash32x4 } from './hash';



/**
 * Core's `fillUniform(seed, out, lo, hi)`: value i = lo + (hi − lo)·2⁻²⁴·(hash32(key + i·0x9e3779b9) >>> 8),
 * in float64, rounded once to float32, with key = hash32(seed ^ 0x3c6ef372).
 */
export function randomUniform(out: usize, size: i32, seed: u32, lo: f64, hi: f64): void {
  const key = hash32(seed ^ 0x3c6ef372);
  const width = (hi - lo) * 5.9604644775390625e-8; // 2^-24
  const low = f64x2.splat(lo);
  const wide = f64x2.splat(width);
  let at = i32x4.add(i32x4.splat(key), i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(<i32>0x9e3779b9)));
  const advance = i32x4.splat(<i32>(0x9e3779b9 * 4));
  const bytes = <usize>size << 2;
  const whole = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < whole; i += 16) {
    const bits = i32x4.shr_u(hash32x4(at), 8);
    const first = f64x2.add(low, f64x2.mul(wide, f64x2.convert_low_i32x4_u(bits)));
    const second = f64x2.add(low, f64x2.mul(wide, f64x2.convert_low_i32x4_u(v128.shuffle<i64>(bits, bits, 1, 0))));
    v128.store(out + i, v128.shuffle<i64>(f32x4.demote_f64x2_zero(first), f32x4.demote_f64x2_zero(second), 0, 2));
    at = i32x4.add(at, advance);
  }
  for (; i < bytes; i += 4) {
    const index = <u32>(i >>> 2);
    f32.store(out + i, <f32>(lo + width * <f64>(hash32(key + index * 0x9e3779b9) >>> 8)));
  }
}

/** min/max with tfjs-backend-cpu's clip rule, `v > hi ? hi : v < lo ? lo : v` (NaN stays NaN). */
// @ts-ignore: decorator
@inline function clip4(v: v128, lo: v128, hi: v128): v128 {
  const high = v128.bitselect(hi, v, f32x4.gt(v, hi));
  return v128.bitselect(lo, high, f32x4.lt(high, lo));
}

// @ts-ignore: decorator
@inline function clip1(v: f32, lo: f32, hi: f32): f32 {
  return v > hi ? hi : v < lo ? lo : v;
}

/**
 * out = clip(δ + a·sign(g), −ε, ε), then, when `x` is non-zero, clip(x + out, lo, hi) − x: one L∞ ascent
 * step with its projection and the valid-range clamp of the input (core's `signAscent`). sign(NaN) = 0.
 */
export function signStep(delta: usize, grad: usize, x: usize, out: usize, size: i32,
  step: f32, epsilon: f32, lo: f32, hi: f32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const a = f32x4.splat(step);
  const high = f32x4.splat(epsilon);
  const low = f32x4.splat(-epsilon);
  const rangeLo = f32x4.splat(lo);
  const rangeHi = f32x4.splat(hi);
  const bytes = <usize>size << 2;
  const whole = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < whole; i += 16) {
    const g = v128.load(grad + i);
    const s = f32x4.sub(v128.and(f32x4.gt(g, zero), one), v128.and(f32x4.lt(g, zero), one));
    let d = clip4(f32x4.add(v128.load(delta + i), f32x4.mul(a, s)), low, high);
    if (x !== 0) {
      const xi = v128.load(x + i);
      d = f32x4.sub(clip4(f32x4.add(xi, d), rangeLo, rangeHi), xi);
    }
    v128.store(out + i, d);
  }
  for (; i < bytes; i += 4) {
    const g = f32.load(grad + i);
    const s: f32 = g > 0 ? 1 : g < 0 ? -1 : 0;
    let d = clip1(f32.load(delta + i) + step * s, -epsilon, epsilon);
    if (x !== 0) {
      const xi = f32.load(x + i);
      d = clip1(xi + d, lo, hi) - xi;
    }
    f32.store(out + i, d);
  }
}

/**
 * out[r] = Σ_j x[r, j]² over `cols` values per row: each square rounded to float32 (tf.square), the sum
 * kept in float64 and rounded once (as tfjs-backend-cpu's Sum).
 */
export function sumOfSquares(x: usize, out: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  const whole = row & ~(<usize>15);
  for (let r = 0; r < rows; r++) {
    const base = x + <usize>r * row;
    let even = f64x2.splat(0);
    let odd = f64x2.splat(0);
    let j: usize = 0;
    for (; j < whole; j += 16) {
      const v = v128.load(base + j);
      const sq = f32x4.mul(v, v);
      even = f64x2.add(even, f64x2.promote_low_f32x4(sq));
      odd = f64x2.add(odd, f64x2.promote_low_f32x4(v128.shuffle<i64>(sq, sq, 1, 0)));
    }
    let sum = f64x2.extract_lane(even, 0) + f64x2.extract_lane(even, 1) + f64x2.extract_lane(odd, 0) + f64x2.extract_lane(odd, 1);
    for (; j < row; j += 4) {
      const v = f32.load(base + j);
      sum += <f64>(v * v);
    }
    f32.store(out + (<usize>r << 2), <f32>sum);
  }
}

/** out[r, j] = a[r, j] + s[r]·b[r, j]: an ascent step with one scale per example (core's `scaledAdd`). */
export function scaledAdd(a: usize, b: usize, scale: usize, out: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  const whole = row & ~(<usize>15);
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * row;
    const s = f32.load(scale + (<usize>r << 2));
    const sv = f32x4.splat(s);
    let j: usize = 0;
    for (; j < whole; j += 16) {
      v128.store(out + at + j, f32x4.add(v128.load(a + at + j), f32x4.mul(sv, v128.load(b + at + j))));
    }
    for (; j < row; j += 4) f32.store(out + at + j, f32.load(a + at + j) + s * f32.load(b + at + j));
  }
}
