// Elementwise kernels that tfjs-backend-wasm runs as scalar loops or as several XNNPACK passes.

/** out = sign(x): 1, −1, or 0 for ±0 and NaN (as tfjs-backend-cpu). */
export function sign(x: usize, out: usize, size: i32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const bytes = <usize>size << 2;
  const whole = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < whole; i += 16) {
    const v = v128.load(x + i);
    v128.store(out + i, f32x4.sub(v128.and(f32x4.gt(v, zero), one), v128.and(f32x4.lt(v, zero), one)));
  }
  for (; i < bytes; i += 4) {
    const v = f32.load(x + i);
    f32.store(out + i, v > 0 ? 1 : v < 0 ? -1 : 0);
  }
}

/** ClipByValue's gradient: out = dy where lo ≤ x ≤ hi, else 0 (NaN x gives 0, as tfjs-backend-cpu). */
export function clipByValueGrad(x: usize, dy: usize, out: usize, size: i32, lo: f32, hi: f32): void {
  const low = f32x4.splat(lo);
  const high = f32x4.splat(hi);
  const bytes = <usize>size << 2;
  const whole = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < whole; i += 16) {
    const v = v128.load(x + i);
    v128.store(out + i, v128.and(v128.load(dy + i), v128.and(f32x4.ge(v, low), f32x4.le(v, high))));
  }
  for (; i < bytes; i += 4) {
    const v = f32.load(x + i);
    f32.store(out + i, v >= lo && v <= hi ? f32.load(dy + i) : 0);
  }
}

/** Relu's gradient, dy · step(x), with step(x) = 1 for x > 0, NaN for NaN, else 0 (tfjs's formula and values). */
export function reluGrad(x: usize, dy: usize, out: usize, size: i32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const bytes = <usize>size << 2;
  const whole = bytes & ~(<usize>15);
  let i: usize = 0;
  for (; i < whole; i += 16) {
    const v = v128.load(x + i);
    const step = v128.or(v128.and(f32x4.gt(v, zero), one), v128.and(f32x4.ne(v, v), v));
    v128.store(out + i, f32x4.mul(v128.load(dy + i), step));
  }
  for (; i < bytes; i += 4) {
    const v = f32.load(x + i);
    f32.store(out + i, f32.load(dy + i) * (v > 0 ? 1 : v != v ? v : 0));
  }
}
