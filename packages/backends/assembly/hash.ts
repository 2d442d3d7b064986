// core's 32-bit hash (packages/core/src/random.ts `hash32`): lowbias32, C. Wellons.

// @ts-ignore: decorator
@inline export function hash32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  return x ^ (x >>> 16);
}

/** lowbias32 (C. Wellons), four lanes at a time; core's `hash32`. */
// @ts-ignore: decorator
@inline export function hash32x4(v: v128): v128 {
  v = v128.xor(v, i32x4.shr_u(v, 16));
  v = i32x4.mul(v, i32x4.splat(0x7feb352d));
  v = v128.xor(v, i32x4.shr_u(v, 15));
  v = i32x4.mul(v, i32x4.splat(<i32>0x846ca68b));
  return v128.xor(v, i32x4.shr_u(v, 16));
}
