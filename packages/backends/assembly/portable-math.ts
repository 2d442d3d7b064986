// @advtrain/core's portableExp and portableLog (packages/core/src/portable-math.ts): the same float64
// operations in the same order, so the ziggurat in random-normal.ts reproduces core's fillNormal bit for bit.

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;

// @ts-ignore: decorator
@inline function pow2(k: i32): f64 {
  return reinterpret<f64>(<u64>(k + 1023) << 52);
}

export function portableExp(y: f64): f64 {
  if (y > 709.782712893384) return Infinity;
  if (y < -745.1332191019412) return 0;
  const k = Math.floor(y / LN2_HI + 0.5);
  const r = y - k * LN2_HI - k * LN2_LO;
  let p: f64 = 1.0 / 87178291200.0; // 1 / 14!, then Horner down to 1 / 1!
  p = p * r + 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 1.0 / 2.0;
  p = p * r + 1.0;
  const e = p * r + 1;
  const half = Math.floor(k / 2);
  return e * pow2(<i32>half) * pow2(<i32>(k - half));
}

export function portableLog(x: f64): f64 {
  if (x == 0) return -Infinity;
  if (!(x > 0)) return NaN;
  if (x == Infinity) return Infinity;
  let e: i32 = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984.0;
    e = -54;
  }
  const bits = reinterpret<u64>(x);
  const hi = <u32>(bits >>> 32);
  e += <i32>((hi >>> 20) & 0x7ff) - 1023;
  let m = reinterpret<f64>((<u64>((hi & 0x000fffff) | 0x3ff00000) << 32) | (bits & 0xffffffff));
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  let p: f64 = 1.0 / 23.0;
  for (let n = 21; n >= 1; n -= 2) p = p * z + 1.0 / <f64>n;
  return <f64>e * LN2_HI + (<f64>e * LN2_LO + 2 * s * p);
}
