// Add, Sub and Multiply where one operand repeats along one run of axes: the small operand is
// [outer, 1, inner] against the full operand's [outer, middle, inner]. That covers a bias (outer = 1), a
// mask or scale per example or token (inner = 1) and a reduction's gradient broadcast back over the
// reduced middle axis (a mean pool's [B, 1, H]). tfjs-backend-wasm 4.22 runs every broadcast through
// XNNPACK's general n-d broadcasting, which is much slower than its same-shape path; this loop instead
// reuses the small operand's row for every middle index, in contiguous SIMD loads. `op` computes
// out = full ∘ small: 0 add, 1 full − small, 2 small − full, 3 multiply (each one IEEE float32
// operation, the values tfjs-backend-cpu gives).

// @ts-ignore: decorator
@inline function op4(op: i32, full: v128, small: v128): v128 {
  if (op == 0) return f32x4.add(full, small);
  if (op == 1) return f32x4.sub(full, small);
  if (op == 2) return f32x4.sub(small, full);
  return f32x4.mul(full, small);
}

// @ts-ignore: decorator
@inline function op1(op: i32, full: f32, small: f32): f32 {
  if (op == 0) return full + small;
  if (op == 1) return full - small;
  if (op == 2) return small - full;
  return full * small;
}

// @ts-ignore: decorator
@inline function middleLoop(op: i32, full: usize, small: usize, out: usize, outer: i32, middle: i32, inner: i32): void {
  const row = <usize>inner << 2;
  const whole = row & ~(<usize>15);
  let at: usize = 0;
  for (let p = 0; p < outer; p++) {
    const s = small + <usize>p * row;
    for (let q = 0; q < middle; q++) {
      let j: usize = 0;
      for (; j < whole; j += 16) v128.store(out + at + j, op4(op, v128.load(full + at + j), v128.load(s + j)));
      for (; j < row; j += 4) f32.store(out + at + j, op1(op, f32.load(full + at + j), f32.load(s + j)));
      at += row;
    }
  }
}

// @ts-ignore: decorator
@inline function perRowLoop(op: i32, full: usize, small: usize, out: usize, rows: i32, cols: i32): void {
  const row = <usize>cols << 2;
  const whole = row & ~(<usize>15);
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * row;
    const s = f32.load(small + (<usize>r << 2));
    const sv = f32x4.splat(s);
    let j: usize = 0;
    for (; j < whole; j += 16) v128.store(out + at + j, op4(op, v128.load(full + at + j), sv));
    for (; j < row; j += 4) f32.store(out + at + j, op1(op, f32.load(full + at + j), s));
  }
}

/** out[p, q, j] = full[p, q, j] ∘ small[p, j] for p < outer, q < middle, j < inner. */
export function binaryMiddle(op: i32, full: usize, small: usize, out: usize, outer: i32, middle: i32, inner: i32): void {
  if (op == 0) middleLoop(0, full, small, out, outer, middle, inner);
  else if (op == 1) middleLoop(1, full, small, out, outer, middle, inner);
  else if (op == 2) middleLoop(2, full, small, out, outer, middle, inner);
  else middleLoop(3, full, small, out, outer, middle, inner);
}

/** out[r, j] = full[r, j] ∘ small[r] for r < rows, j < cols (a mask or scale per example or per token). */
export function binaryPerRow(op: i32, full: usize, small: usize, out: usize, rows: i32, cols: i32): void {
  if (op == 0) perRowLoop(0, full, small, out, rows, cols);
  else if (op == 1) perRowLoop(1, full, small, out, rows, cols);
  else if (op == 2) perRowLoop(2, full, small, out, rows, cols);
  else perRowLoop(3, full, small, out, rows, cols);
}
