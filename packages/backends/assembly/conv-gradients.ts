// AssemblyScript source of the WebAssembly SIMD conv gradients (compiled by scripts/build-wasm.mjs into
// src/kernels/simd/conv-gradients.wasm.ts). The module imports tfjs-backend-wasm's memory, so every
// pointer is a byte offset into the tensors that backend already holds. All layouts are NHWC, filters
// [kh, kw, C_in, C_out]. The callers in src/kernels/simd check shapes and alignment before calling.
//
// Why not XNNPACK: in training the operands of both gradients are new on every call, and XNNPACK packs
// its weights per operator; the conv2d-based compositions also transpose both inputs first. These loops
// read the tensors where they are.

// ---------------------------------------------------------------------------------------------------
// dW[a, b, c, d] = Σ_{n, o, p} x[n, o·sh + a − pt, p·sw + b − pl, c] · dy[n, o, p, d]
// Lanes run along d (C_out, a multiple of 4). A tile is two input channels × 16 or 4 output channels.
// ---------------------------------------------------------------------------------------------------

// The (image, row, column) loops over dy positions of one filter tap, strides in bytes. Module globals,
// not an object: the module owns no memory (it imports tfjs's), so it must not allocate.
let walkImages: i32 = 0;
let walkRows: i32 = 0;
let walkCols: i32 = 0;
let xImage: usize = 0;
let xRow: usize = 0;
let xCol: usize = 0;
let yImage: usize = 0;
let yRow: usize = 0;
let yCol: usize = 0;

// `second` is the byte offset of the second input channel (0 when C_in is odd and this tile has one
// channel: the row is computed twice and stored once).
@inline
function filterTile16(xBase: usize, yBase: usize, out: usize, outRow: usize, second: usize): void {
  const images = walkImages, rows = walkRows, cols = walkCols;
  const xi = xImage, xr = xRow, xc = xCol, yi = yImage, yr = yRow, yc = yCol;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  for (let img = 0; img < images; img++) {
    let xo = xBase + <usize>img * xi;
    let yo = yBase + <usize>img * yi;
    for (let o = 0; o < rows; o++) {
      let xp = xo;
      let yp = yo;
      for (let k = 0; k < cols; k++) {
        const y0 = v128.load(yp), y1 = v128.load(yp, 16), y2 = v128.load(yp, 32), y3 = v128.load(yp, 48);
        const s = v128.load32_splat(xp);
        const t = v128.load32_splat(xp + second);
        a0 = f32x4.add(a0, f32x4.mul(s, y0)); a1 = f32x4.add(a1, f32x4.mul(s, y1));
        a2 = f32x4.add(a2, f32x4.mul(s, y2)); a3 = f32x4.add(a3, f32x4.mul(s, y3));
        b0 = f32x4.add(b0, f32x4.mul(t, y0)); b1 = f32x4.add(b1, f32x4.mul(t, y1));
        b2 = f32x4.add(b2, f32x4.mul(t, y2)); b3 = f32x4.add(b3, f32x4.mul(t, y3));
        xp += xc;
        yp += yc;
      }
      xo += xr;
      yo += yr;
    }
  }
  v128.store(out, a0); v128.store(out, a1, 16); v128.store(out, a2, 32); v128.store(out, a3, 48);
  if (second != 0) {
    const o2 = out + outRow;
    v128.store(o2, b0); v128.store(o2, b1, 16); v128.store(o2, b2, 32); v128.store(o2, b3, 48);
  }
}

@inline
function filterTile4(xBase: usize, yBase: usize, out: usize, outRow: usize, second: usize): void {
  const images = walkImages, rows = walkRows, cols = walkCols;
  const xi = xImage, xr = xRow, xc = xCol, yi = yImage, yr = yRow, yc = yCol;
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
  for (let img = 0; img < images; img++) {
    let xo = xBase + <usize>img * xi;
    let yo = yBase + <usize>img * yi;
    for (let o = 0; o < rows; o++) {
      let xp = xo;
      let yp = yo;
      for (let k = 0; k < cols; k++) {
        const y0 = v128.load(yp);
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xp), y0));
        b0 = f32x4.add(b0, f32x4.mul(v128.load32_splat(xp + second), y0));
        xp += xc;
        yp += yc;
      }
      xo += xr;
      yo += yr;
    }
  }
  v128.store(out, a0);
  if (second != 0) v128.store(out + outRow, b0);
}

/** First o in [0, size) with o·s + offset ≥ 0, and the end of the range with o·s + offset < limit. */
@inline
function firstValid(s: i32, offset: i32): i32 {
  return offset >= 0 ? 0 : (s - 1 - offset) / s;
}

@inline
function endValid(size: i32, s: i32, offset: i32, limit: i32): i32 {
  // o·s + offset ≤ limit − 1  ⇔  o ≤ (limit − 1 − offset) / s
  const last = limit - 1 - offset;
  if (last < 0) return 0;
  const end = last / s + 1;
  return end < size ? end : size;
}

export function conv2dFilterGrad(
  x: usize, dy: usize, dw: usize,
  n: i32, h: i32, w: i32, ci: i32,
  oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
): void {
  walkImages = n;
  xImage = <usize>(h * w * ci) << 2;
  xRow = <usize>(sh * w * ci) << 2;
  xCol = <usize>(sw * ci) << 2;
  yImage = <usize>(oh * ow * co) << 2;
  yRow = <usize>(ow * co) << 2;
  yCol = <usize>co << 2;
  const outRow = <usize>co << 2;
  for (let a = 0; a < kh; a++) {
    const o0 = firstValid(sh, a - pt);
    const o1 = endValid(oh, sh, a - pt, h);
    for (let b = 0; b < kw; b++) {
      const p0 = firstValid(sw, b - pl);
      const p1 = endValid(ow, sw, b - pl, w);
      const tap = dw + (<usize>((a * kw + b) * ci * co) << 2);
      if (o1 <= o0 || p1 <= p0) {
        memory.fill(tap, 0, <usize>(ci * co) << 2);
        continue;
      }
      walkRows = o1 - o0;
      walkCols = p1 - p0;
      const xTap = x + (<usize>(((o0 * sh + a - pt) * w + (p0 * sw + b - pl)) * ci) << 2);
      const yTap = dy + (<usize>((o0 * ow + p0) * co) << 2);
      for (let c = 0; c < ci; c += 2) {
        const second: usize = c + 1 < ci ? 4 : 0;
        const xc = xTap + (<usize>c << 2);
        const outC = tap + (<usize>(c * co) << 2);
        let d = 0;
        for (; d + 16 <= co; d += 16) filterTile16(xc, yTap + (<usize>d << 2), outC + (<usize>d << 2), outRow, second);
        for (; d < co; d += 4) filterTile4(xc, yTap + (<usize>d << 2), outC + (<usize>d << 2), outRow, second);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// dx, scattered: every dy position adds W[a, b]·dy[n, o, p] to the padded dx pixel (o·sh + a, p·sw + b).
// Lanes run along a contiguous "span" of dx: C_in values of one tap (C_in a multiple of 4), or, when
// C_in is small (an image model's first layer), the kw·C_in values of a whole filter row. The padded
// buffer has one extra image, so images are always taken in pairs (an odd batch writes its last pair's
// second half there) and no position needs a bounds check.
// ---------------------------------------------------------------------------------------------------

/** wt[t, d, c] = w[t, c, d] for t < taps: puts the span (c) innermost. */
export function transposeFilter(w: usize, wt: usize, taps: i32, ci: i32, co: i32): void {
  for (let t = 0; t < taps; t++) {
    const src = w + (<usize>(t * ci * co) << 2);
    const dst = wt + (<usize>(t * ci * co) << 2);
    for (let c = 0; c < ci; c++) {
      for (let d = 0; d < co; d++) {
        f32.store(dst + (<usize>(d * ci + c) << 2), f32.load(src + (<usize>(c * co + d) << 2)));
      }
    }
  }
}

@inline
function scatter16(y0p: usize, y1p: usize, t0: usize, t1: usize, wp: usize, co: i32, wStep: usize): void {
  let a0 = v128.load(t0), a1 = v128.load(t0, 16), a2 = v128.load(t0, 32), a3 = v128.load(t0, 48);
  let b0 = v128.load(t1), b1 = v128.load(t1, 16), b2 = v128.load(t1, 32), b3 = v128.load(t1, 48);
  let yp0 = y0p, yp1 = y1p, q = wp;
  for (let d = 0; d < co; d++) {
    const w0 = v128.load(q), w1 = v128.load(q, 16), w2 = v128.load(q, 32), w3 = v128.load(q, 48);
    const s = v128.load32_splat(yp0);
    const t = v128.load32_splat(yp1);
    a0 = f32x4.add(a0, f32x4.mul(s, w0)); a1 = f32x4.add(a1, f32x4.mul(s, w1));
    a2 = f32x4.add(a2, f32x4.mul(s, w2)); a3 = f32x4.add(a3, f32x4.mul(s, w3));
    b0 = f32x4.add(b0, f32x4.mul(t, w0)); b1 = f32x4.add(b1, f32x4.mul(t, w1));
    b2 = f32x4.add(b2, f32x4.mul(t, w2)); b3 = f32x4.add(b3, f32x4.mul(t, w3));
    yp0 += 4;
    yp1 += 4;
    q += wStep;
  }
  v128.store(t0, a0); v128.store(t0, a1, 16); v128.store(t0, a2, 32); v128.store(t0, a3, 48);
  v128.store(t1, b0); v128.store(t1, b1, 16); v128.store(t1, b2, 32); v128.store(t1, b3, 48);
}

@inline
function scatter4(y0p: usize, y1p: usize, t0: usize, t1: usize, wp: usize, co: i32, wStep: usize): void {
  let a0 = v128.load(t0), b0 = v128.load(t1);
  let yp0 = y0p, yp1 = y1p, q = wp;
  for (let d = 0; d < co; d++) {
    const w0 = v128.load(q);
    a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(yp0), w0));
    b0 = f32x4.add(b0, f32x4.mul(v128.load32_splat(yp1), w0));
    yp0 += 4;
    yp1 += 4;
    q += wStep;
  }
  v128.store(t0, a0);
  v128.store(t1, b0);
}

/**
 * Adds every dy position's contribution to `padded` ([n + 1, hp, wp, ci], zeroed by the caller), where
 * padded pixel (o·sh + a, p·sw + b) is dx pixel (o·sh + a − pt, p·sw + b − pl). `wt` is [kh, gw, co, span]
 * with gw = kw and span = C_in (one tap per span), or gw = 1 and span = kw·C_in (one filter row per span).
 */
export function conv2dInputGradScatter(
  dy: usize, wt: usize, padded: usize,
  n: i32, hp: i32, wp: i32, ci: i32,
  oh: i32, ow: i32, co: i32,
  kh: i32, gw: i32, span: i32, sh: i32, sw: i32,
): void {
  const dyImage = <usize>(oh * ow * co) << 2;
  const dxImage = <usize>(hp * wp * ci) << 2;
  const dxRow = <usize>(wp * ci) << 2;
  const dxCol = <usize>ci << 2;
  const groupBytes = <usize>(span * co) << 2;
  const wStep = <usize>span << 2;
  for (let img = 0; img < n; img += 2) {
    const y0 = dy + <usize>img * dyImage;
    const y1 = img + 1 < n ? y0 + dyImage : y0;
    const x0 = padded + <usize>img * dxImage;
    const x1 = x0 + dxImage;
    for (let o = 0; o < oh; o++) {
      for (let p = 0; p < ow; p++) {
        const at = <usize>((o * ow + p) * co) << 2;
        const pix = <usize>(o * sh) * dxRow + <usize>(p * sw) * dxCol;
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < gw; b++) {
            const t = pix + <usize>a * dxRow + <usize>b * dxCol;
            const wGroup = wt + <usize>(a * gw + b) * groupBytes;
            let c = 0;
            for (; c + 16 <= span; c += 16) {
              const cb = <usize>c << 2;
              scatter16(y0 + at, y1 + at, x0 + t + cb, x1 + t + cb, wGroup + cb, co, wStep);
            }
            for (; c < span; c += 4) {
              const cb = <usize>c << 2;
              scatter4(y0 + at, y1 + at, x0 + t + cb, x1 + t + cb, wGroup + cb, co, wStep);
            }
          }
        }
      }
    }
  }
}

/** out[n, i, j, :] = padded[n, i + top, j + left, :] for the first n images. */
export function cropImages(padded: usize, out: usize, n: i32, hp: i32, wp: i32, h: i32, w: i32, ci: i32, top: i32, left: i32): void {
  const rowBytes = <usize>(w * ci) << 2;
  for (let img = 0; img < n; img++) {
    for (let i = 0; i < h; i++) {
      const src = padded + (<usize>(((img * hp + i + top) * wp + left) * ci) << 2);
      memory.copy(out + <usize>((img * h + i)) * rowBytes, src, rowBytes);
    }
  }
}
