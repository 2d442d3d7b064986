// Conv2D forward, gathered: every output pixel is a sum over its receptive field, kept in registers for
// the whole sum. It also serves matrix products: A·B is a 1×1 conv whose pixels are A's rows.
// ---------------------------------------------------------------------------------------------------
// y[q, d] = Σ_{a, b, c} x[image(q), o(q)·sh + a, p(q)·sw + b, c] · w[a, b, c, d]
// x is already padded (no bounds checks); lanes run along d (C_out, a multiple of 4). A tile is two
// output pixels × 16 or 4 output channels; the filter row (kw·C_in values) is contiguous in both x and w.
// Pixels are split into ranges [q0, q1), so threads own whole rows of y.
// ---------------------------------------------------------------------------------------------------

// Shapes of the current call, in bytes where they are strides. Module globals: the module must not allocate.
let rows: i32 = 0; // kh
let span: i32 = 0; // kw·C_in
let xRowBytes: usize = 0; // one padded x row
let wRowBytes: usize = 0; // one filter row: kw·C_in·C_out values
let wStep: usize = 0; // C_out values

@inline
function gather16(p0: usize, p1: usize, wp: usize, out0: usize, out1: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  const n = span, step = wStep;
  for (let a = 0; a < rows; a++) {
    let x0 = p0 + <usize>a * xRowBytes;
    let x1 = p1 + <usize>a * xRowBytes;
    let q = wp + <usize>a * wRowBytes;
    for (let r = 0; r < n; r++) {
      const w0 = v128.load(q), w1 = v128.load(q, 16), w2 = v128.load(q, 32), w3 = v128.load(q, 48);
      const s = v128.load32_splat(x0);
      const t = v128.load32_splat(x1);
      a0 = f32x4.add(a0, f32x4.mul(s, w0)); a1 = f32x4.add(a1, f32x4.mul(s, w1));
      a2 = f32x4.add(a2, f32x4.mul(s, w2)); a3 = f32x4.add(a3, f32x4.mul(s, w3));
      b0 = f32x4.add(b0, f32x4.mul(t, w0)); b1 = f32x4.add(b1, f32x4.mul(t, w1));
      b2 = f32x4.add(b2, f32x4.mul(t, w2)); b3 = f32x4.add(b3, f32x4.mul(t, w3));
      x0 += 4;
      x1 += 4;
      q += step;
    }
  }
  v128.store(out0, a0); v128.store(out0, a1, 16); v128.store(out0, a2, 32); v128.store(out0, a3, 48);
  v128.store(out1, b0); v128.store(out1, b1, 16); v128.store(out1, b2, 32); v128.store(out1, b3, 48);
}

@inline
function gather4(p0: usize, p1: usize, wp: usize, out0: usize, out1: usize): void {
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
  const n = span, step = wStep;
  for (let a = 0; a < rows; a++) {
    let x0 = p0 + <usize>a * xRowBytes;
    let x1 = p1 + <usize>a * xRowBytes;
    let q = wp + <usize>a * wRowBytes;
    for (let r = 0; r < n; r++) {
      const w0 = v128.load(q);
      a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(x0), w0));
      b0 = f32x4.add(b0, f32x4.mul(v128.load32_splat(x1), w0));
      x0 += 4;
      x1 += 4;
      q += step;
    }
  }
  v128.store(out0, a0);
  v128.store(out1, b0);
}

/**
 * y[q, :] for the output pixels q0 ≤ q < q1 of `padded` ([n, hp, wp, ci]) and `w` ([kh, kw, ci, co]),
 * y being [n, oh, ow, co]. Pixels go in pairs; an odd range computes its last pixel twice.
 */
export function conv2dGather(
  padded: usize, w: usize, y: usize,
  hp: i32, wp: i32, ci: i32, oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, q0: i32, q1: i32,
): void {
  rows = kh;
  span = kw * ci;
  xRowBytes = <usize>(wp * ci) << 2;
  wRowBytes = <usize>(kw * ci * co) << 2;
  wStep = <usize>co << 2;
  const pixels = oh * ow;
  const imageBytes = <usize>(hp * wp * ci) << 2;
  const outPixel = <usize>co << 2;
  for (let q = q0; q < q1; q += 2) {
    const r = q + 1 < q1 ? q + 1 : q;
    const i0 = q / pixels, i1 = r / pixels;
    const k0 = q - i0 * pixels, k1 = r - i1 * pixels;
    const o0 = k0 / ow, o1 = k1 / ow;
    const p0 = padded + <usize>i0 * imageBytes + <usize>(o0 * sh) * xRowBytes + (<usize>((k0 - o0 * ow) * sw * ci) << 2);
    const p1 = padded + <usize>i1 * imageBytes + <usize>(o1 * sh) * xRowBytes + (<usize>((k1 - o1 * ow) * sw * ci) << 2);
    const out0 = y + <usize>q * outPixel;
    const out1 = y + <usize>r * outPixel;
    let d = 0;
    for (; d + 16 <= co; d += 16) {
      const db = <usize>d << 2;
      gather16(p0, p1, w + db, out0 + db, out1 + db);
    }
    for (; d < co; d += 4) {
      const db = <usize>d << 2;
      gather4(p0, p1, w + db, out0 + db, out1 + db);
    }
  }
}

/**
 * padded[n, i + top, j + left, :] = x[n, i, j, :] and 0 elsewhere, for every image: the whole padded buffer is
 * written (filling the borders only, not the buffer, before copying the rows).
 */
export function padImages(x: usize, padded: usize, n: i32, h: i32, w: i32, ci: i32, hp: i32, wp: i32, top: i32, left: i32): void {
  const rowBytes = <usize>(w * ci) << 2;
  const paddedRow = <usize>(wp * ci) << 2;
  const leftBytes = <usize>(left * ci) << 2;
  const rightBytes = paddedRow - leftBytes - rowBytes;
  for (let img = 0; img < n; img++) {
    const image = padded + <usize>(img * hp) * paddedRow;
    memory.fill(image, 0, <usize>top * paddedRow);
    for (let i = 0; i < h; i++) {
      const row = image + <usize>(i + top) * paddedRow;
      memory.fill(row, 0, leftBytes);
      memory.copy(row + leftBytes, x + <usize>(img * h + i) * rowBytes, rowBytes);
      memory.fill(row + leftBytes + rowBytes, 0, rightBytes);
    }
    memory.fill(image + <usize>(top + h) * paddedRow, 0, <usize>(hp - top - h) * paddedRow);
  }
}

/** Zeroes `bytes` bytes at `at` (a memset; JavaScript's fill is several times slower on a shared heap). */
export function fillZero(at: usize, bytes: usize): void {
  memory.fill(at, 0, bytes);
}
