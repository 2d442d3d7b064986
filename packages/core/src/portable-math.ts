/**
 * exp and log from IEEE 754 float64 additions, multiplications and divisions only. Math.exp and
 * Math.log are not specified to the last bit, so they differ between JavaScript engines and from any
 * WebAssembly libm; these give the same bits everywhere, which lets `fillNormal`'s values be reproduced
 * by another engine and by a backend kernel (`AdvtrainRandomNormal`). Within 2 ulp of Math.exp / Math.log.
 */

const LN2_HI = 6.93147180369123816490e-1; // ln 2 with its low 32 bits cleared, so k · LN2_HI is exact
const LN2_LO = 1.90821492927058770002e-10;

const view = new DataView(new ArrayBuffer(8));

/** 1 / n! for n ≤ 14 (each n! is exact in float64, so the quotient is correctly rounded everywhere). */
const INVERSE_FACTORIALS = Array.from({ length: 15 }, (_, n) => {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return 1 / f;
});

/** 2^k for integer k in [−1022, 1023], built from its bits. */
function pow2(k: number): number {
  view.setUint32(0, (k + 1023) << 20);
  view.setUint32(4, 0);
  return view.getFloat64(0);
}

/** exp(y) for finite y; 0 below −745.13 and Infinity above 709.78. */
export function portableExp(y: number): number {
  if (y > 709.782712893384) return Infinity;
  if (y < -745.1332191019412) return 0;
  const k = Math.floor(y / LN2_HI + 0.5);
  const r = y - k * LN2_HI - k * LN2_LO; // |r| ≤ 0.35
  // Taylor series of e^r to r^14 / 14! (the remainder is below 2^-60 for |r| ≤ 0.35), by Horner.
  let p = INVERSE_FACTORIALS[14]!;
  for (let n = 13; n >= 1; n--) p = p * r + INVERSE_FACTORIALS[n]!;
  const e = p * r + 1;
  // 2^k in two factors keeps both representable down to the subnormal range.
  const half = Math.floor(k / 2);
  return e * pow2(half) * pow2(k - half);
}

/** log(x) for x > 0 (normal or subnormal); −Infinity at 0, NaN below it or for NaN. */
export function portableLog(x: number): number {
  if (x === 0) return -Infinity;
  if (!(x > 0)) return NaN;
  if (x === Infinity) return Infinity;
  let e = 0;
  if (x < 2.2250738585072014e-308) { // subnormal: scale into the normal range first
    x *= 18014398509481984; // 2^54
    e = -54;
  }
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  e += ((hi >>> 20) & 0x7ff) - 1023;
  view.setUint32(0, (hi & 0x000fffff) | 0x3ff00000); // mantissa m in [1, 2), low word kept
  let m = view.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // log m = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + …) with s = (m − 1)/(m + 1), |s| ≤ 0.172: 12 terms.
  const s = (m - 1) / (m + 1);
  const z = s * s;
  let p = 1 / 23;
  for (let n = 21; n >= 1; n -= 2) p = p * z + 1 / n;
  return e * LN2_HI + (e * LN2_LO + 2 * s * p);
}
