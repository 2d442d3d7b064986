// core's fillNormal (packages/core/src/random.ts): the ziggurat over the hashed stream, its tables and its
// wedge and tail draws computed with the same portable exp and log, so the values are equal bit for bit.
import { hash32, hash32x4 } from './hash';
import { portableExp, portableLog } from './portable-math';

const R: f64 = 3.442619855899;

/** Writes the ziggurat tables k, w, f (128 float64 each) at `tables`; core's ZIG. */
function zigguratTables(tables: usize): void {
  const k = tables;
  const w = tables + 1024;
  const f = tables + 2048;
  const m1: f64 = 2147483648.0;
  let dn: f64 = R;
  let tn = dn;
  const vn: f64 = 9.91256303526217e-3;
  const q = vn / portableExp(-0.5 * dn * dn);
  f64.store(k, (dn / q) * m1);
  f64.store(k + 8, 0);
  f64.store(w, q / m1);
  f64.store(w + 127 * 8, dn / m1);
  f64.store(f, 1);
  f64.store(f + 127 * 8, portableExp(-0.5 * dn * dn));
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * portableLog(vn / dn + portableExp(-0.5 * dn * dn)));
    f64.store(k + <usize>(i + 1) * 8, (dn / tn) * m1);
    tn = dn;
    f64.store(f + <usize>i * 8, portableExp(-0.5 * dn * dn));
    f64.store(w + <usize>i * 8, dn / m1);
  }
}

// @ts-ignore: decorator
@inline function bitsAt(key: u32, counter: u32): u32 {
  return hash32(key + counter * 0x9e3779b9);
}

/** A uniform value in (0, 1) from stream position `counter`: core's `uniform()` inside fillNormal. */
// @ts-ignore: decorator
@inline function uniformAt(key: u32, counter: u32): f64 {
  return (<f64>(bitsAt(key, counter) >>> 8) + 0.5) * 5.9604644775390625e-8;
}

/** The stream position after `slowDraw` (only the rare slow path writes it). */
let slowCounter: u32 = 0;

/**
 * A value whose first draw was rejected (about 1.2 % of them): core's wedge and tail loop from stream
 * position `counter`; leaves the next position in `slowCounter`.
 */
// @ts-ignore: decorator
@noinline function slowDraw(key: u32, counter: u32, h: u32, kt: usize, wt: usize, ft: usize): f64 {
  let layer = <usize>(h >>> 25);
  let value = <i32>(h << 7);
  let z: f64 = 0;
  for (;;) {
    const x = <f64>value * f64.load(wt + layer * 8);
    if (layer == 0) {
      let tx: f64, ty: f64;
      do {
        tx = -portableLog(uniformAt(key, counter++)) / R;
        ty = -portableLog(uniformAt(key, counter++));
      } while (ty + ty < tx * tx);
      z = value > 0 ? R + tx : -R - tx;
      break;
    }
    const fl = f64.load(ft + layer * 8);
    if (fl + uniformAt(key, counter++) * (f64.load(ft + (layer - 1) * 8) - fl) < portableExp(-0.5 * x * x)) {
      z = x;
      break;
    }
    h = bitsAt(key, counter++);
    layer = <usize>(h >>> 25);
    value = <i32>(h << 7);
    if (Math.abs(<f64>value) < f64.load(kt + layer * 8)) {
      z = <f64>value * f64.load(wt + layer * 8);
      break;
    }
  }
  slowCounter = counter;
  return z;
}

/** Table entries for lanes a and b of `layers` (byte offsets of float64 values), as one f64x2. */
// @ts-ignore: decorator
@inline function pairAt(table: usize, a: usize, b: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(f64.load(table + a)), 1, f64.load(table + b));
}

/** Float32 values of two f64x2 halves, then mean + std · value rounded again when `affine` (core's randomNormal). */
// @ts-ignore: decorator
@inline function toF32(low: v128, high: v128, affine: bool, mean: v128, std: v128): v128 {
  let v = v128.shuffle<i64>(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 2);
  if (affine) {
    const a = f64x2.add(mean, f64x2.mul(std, f64x2.promote_low_f32x4(v)));
    const b = f64x2.add(mean, f64x2.mul(std, f64x2.promote_low_f32x4(v128.shuffle<i64>(v, v, 1, 0))));
    v = v128.shuffle<i64>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 2);
  }
  return v;
}

/**
 * out[i] = fillNormal(seed)[i] as float32, then mean + std · out[i] (rounded to float32) unless mean is 0
 * and std 1. `tables` is scratch for 384 float64 values. Four draws are hashed and tested at once; when
 * all four take the fast path (about 89 % of groups) they are the next four values; otherwise the lanes
 * before the first rejected draw are kept, that draw continues on core's slow path, and the next group
 * starts after it.
 */
export function randomNormal(out: usize, size: i32, seed: u32, mean: f64, std: f64, tables: usize): void {
  zigguratTables(tables);
  const kt = tables;
  const wt = tables + 1024;
  const ft = tables + 2048;
  const key = hash32(seed ^ 0x510e527f);
  const affine = mean != 0 || std != 1;
  const meanV = f64x2.splat(mean);
  const stdV = f64x2.splat(std);
  const lanes = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(<i32>0x9e3779b9));
  let counter: u32 = 0;
  let i = 0;
  while (i < size) {
    if (i + 4 <= size) {
      const hs = hash32x4(i32x4.add(i32x4.splat(key + counter * 0x9e3779b9), lanes));
      const offsets = i32x4.shl(i32x4.shr_u(hs, 25), 3);
      const values = i32x4.shl(hs, 7);
      const o0 = <usize>i32x4.extract_lane(offsets, 0), o1 = <usize>i32x4.extract_lane(offsets, 1);
      const o2 = <usize>i32x4.extract_lane(offsets, 2), o3 = <usize>i32x4.extract_lane(offsets, 3);
      const low = f64x2.convert_low_i32x4_s(values);
      const high = f64x2.convert_low_i32x4_s(v128.shuffle<i64>(values, values, 1, 0));
      const fast = i64x2.bitmask(f64x2.lt(f64x2.abs(low), pairAt(kt, o0, o1)))
        | (i64x2.bitmask(f64x2.lt(f64x2.abs(high), pairAt(kt, o2, o3))) << 2);
      // All four lanes are stored; lanes after a rejected one are overwritten by the draws that follow.
      v128.store(out + (<usize>i << 2),
        toF32(f64x2.mul(low, pairAt(wt, o0, o1)), f64x2.mul(high, pairAt(wt, o2, o3)), affine, meanV, stdV));
      if (fast == 15) {
        counter += 4;
        i += 4;
        continue;
      }
      const taken = ctz(~fast); // lanes before the first rejected draw are values already
      counter += <u32>taken;
      i += taken;
    }
    // A rejected first draw (or one of the last values): core's draw, slow path included.
    const h = bitsAt(key, counter++);
    const layer = <usize>(h >>> 25);
    const value = <f64>(<i32>(h << 7));
    let z: f64;
    if (Math.abs(value) < f64.load(kt + layer * 8)) {
      z = value * f64.load(wt + layer * 8);
    } else {
      z = slowDraw(key, counter, h, kt, wt, ft);
      counter = slowCounter;
    }
    let v = <f32>z;
    if (affine) v = <f32>(mean + std * <f64>v);
    f32.store(out + (<usize>i << 2), v);
    i++;
  }
}
