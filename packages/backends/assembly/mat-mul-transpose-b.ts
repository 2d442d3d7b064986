// C = A·Bᵀ with both operands read where they lie: every C value is a dot product of a row of A with a row of
// B, both contiguous along K. (A dense layer's input gradient dy·Wᵀ; transposing W first costs a pass over it.)
// ---------------------------------------------------------------------------------------------------
// Lanes run along K (a multiple of 4). A tile is two rows of A × four rows of B: eight accumulators, folded at
// the end into one vector of four C values per row of A. Rows of C are split into ranges [i0, i1).
// ---------------------------------------------------------------------------------------------------

/** [Σ lanes of p0, of p1, of p2, of p3]. */
@inline
function fold4(p0: v128, p1: v128, p2: v128, p3: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), v128.shuffle<f32>(p0, p1, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<f32>(p2, p3, 0, 4, 1, 5), v128.shuffle<f32>(p2, p3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
}

/**
 * Rows i0 ≤ i < i1 of C = A·Bᵀ for A [m, k] and B [n, k], C being [m, n]; k and n multiples of 4. Rows go in
 * pairs; an odd range computes its last row twice.
 */
export function matMulTransposeB(a: usize, b: usize, c: usize, k: i32, n: i32, i0: i32, i1: i32): void {
  const rowA = <usize>k << 2;
  const rowC = <usize>n << 2;
  for (let i = i0; i < i1; i += 2) {
    const r = i + 1 < i1 ? i + 1 : i;
    const x0 = a + <usize>i * rowA;
    const x1 = a + <usize>r * rowA;
    for (let j = 0; j < n; j += 4) {
      const y0 = b + <usize>j * rowA;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
      for (let q: usize = 0; q < rowA; q += 16) {
        const v = v128.load(x0 + q), w = v128.load(x1 + q);
        const b0 = v128.load(y0 + q), b1 = v128.load(y0 + rowA + q);
        const b2 = v128.load(y0 + 2 * rowA + q), b3 = v128.load(y0 + 3 * rowA + q);
        s0 = f32x4.add(s0, f32x4.mul(v, b0)); s1 = f32x4.add(s1, f32x4.mul(v, b1));
        s2 = f32x4.add(s2, f32x4.mul(v, b2)); s3 = f32x4.add(s3, f32x4.mul(v, b3));
        t0 = f32x4.add(t0, f32x4.mul(w, b0)); t1 = f32x4.add(t1, f32x4.mul(w, b1));
        t2 = f32x4.add(t2, f32x4.mul(w, b2)); t3 = f32x4.add(t3, f32x4.mul(w, b3));
      }
      const at = <usize>j << 2;
      v128.store(c + <usize>i * rowC + at, fold4(s0, s1, s2, s3));
      v128.store(c + <usize>r * rowC + at, fold4(t0, t1, t2, t3));
    }
  }
}
