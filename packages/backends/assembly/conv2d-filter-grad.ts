// Conv2D filter gradient. In training both operands are new on every call, and XNNPACK packs its
// weights per operator; the conv2d-based composition also transposes both inputs first. This loop
// reads x and dy where they lie.
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

// Tiles add to what `out` holds (earlier chunks of images). `second` is the byte offset of the second
// input channel (0 when C_in is odd and this tile has one channel: the row is computed twice and its
// duplicate is neither loaded nor stored).
@inline
function filterTile16(xBase: usize, yBase: usize, out: usize, outRow: usize, second: usize): void {
  const images = walkImages, rows = walkRows, cols = walkCols;
  const xi = xImage, xr = xRow, xc = xCol, yi = yImage, yr = yRow, yc = yCol;
  const o2 = out + outRow;
  let a0 = v128.load(out), a1 = v128.load(out, 16), a2 = v128.load(out, 32), a3 = v128.load(out, 48);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  if (second != 0) {
    b0 = v128.load(o2); b1 = v128.load(o2, 16); b2 = v128.load(o2, 32); b3 = v128.load(o2, 48);
  }
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
    v128.store(o2, b0); v128.store(o2, b1, 16); v128.store(o2, b2, 32); v128.store(o2, b3, 48);
  }
}

@inline
function filterTile4(xBase: usize, yBase: usize, out: usize, outRow: usize, second: usize): void {
  const images = walkImages, rows = walkRows, cols = walkCols;
  const xi = xImage, xr = xRow, xc = xCol, yi = yImage, yr = yRow, yc = yCol;
  let a0 = v128.load(out), b0 = second != 0 ? v128.load(out + outRow) : f32x4.splat(0);
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

/** Images per pass over the taps: x and dy of a chunk stay in a 2 MB L2 cache (half of it, for the rest). */
const CHUNK_BYTES: usize = 1 << 20;

/** Unit t·pairs + p starts at dw row t·ci + 2p. */
@inline
function unitRow(u: i32, pairs: i32, ci: i32): usize {
  return <usize>((u / pairs) * ci + min((u % pairs) * 2, ci));
}

/**
 * The work is split into units, one per (filter tap, pair of input channels), numbered tap-major; a call
 * computes units [u0, u1) and touches only their rows of dw, so threads can share a layer with no
 * reduction and every dw value is summed in the same order as by one call over all units.
 */
export function conv2dFilterGrad(
  x: usize, dy: usize, dw: usize,
  n: i32, h: i32, w: i32, ci: i32,
  oh: i32, ow: i32, co: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
  u0: i32, u1: i32,
): void {
  xImage = <usize>(h * w * ci) << 2;
  xRow = <usize>(sh * w * ci) << 2;
  xCol = <usize>(sw * ci) << 2;
  yImage = <usize>(oh * ow * co) << 2;
  yRow = <usize>(ow * co) << 2;
  yCol = <usize>co << 2;
  const outRow = <usize>co << 2;
  const pairs = (ci + 1) >> 1;
  const rowBegin = unitRow(u0, pairs, ci);
  memory.fill(dw + (rowBegin * <usize>co << 2), 0, (unitRow(u1, pairs, ci) - rowBegin) * <usize>co << 2);
  // Every tap, channel pair and column tile walks all dy positions of the chunk: chunking keeps those
  // walks in cache (one pass over all images of a large layer streamed x and dy from memory 288 times).
  const perImage = xImage + yImage;
  const chunk = perImage >= CHUNK_BYTES ? 1 : <i32>(CHUNK_BYTES / perImage);
  for (let first = 0; first < n; first += chunk) {
    walkImages = first + chunk <= n ? chunk : n - first;
    const xChunk = x + <usize>first * xImage;
    const yChunk = dy + <usize>first * yImage;
    for (let u = u0; u < u1;) {
      const t = u / pairs;
      const pEnd = min(pairs, u1 - t * pairs);
      const pBegin = u - t * pairs;
      u = t * pairs + pEnd;
      const a = t / kw;
      const b = t - a * kw;
      const o0 = firstValid(sh, a - pt);
      const o1 = endValid(oh, sh, a - pt, h);
      const p0 = firstValid(sw, b - pl);
      const p1 = endValid(ow, sw, b - pl, w);
      if (o1 <= o0 || p1 <= p0) continue;
      walkRows = o1 - o0;
      walkCols = p1 - p0;
      const tap = dw + (<usize>(t * ci * co) << 2);
      const xTap = xChunk + (<usize>(((o0 * sh + a - pt) * w + (p0 * sw + b - pl)) * ci) << 2);
      const yTap = yChunk + (<usize>((o0 * ow + p0) * co) << 2);
      for (let p = pBegin; p < pEnd; p++) {
        const c = 2 * p;
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
