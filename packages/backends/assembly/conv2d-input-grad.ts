// ---------------------------------------------------------------------------------------------------
// dx, scattered: every dy position adds W[a, b]·dy[n, o, p] to the padded dx pixel (o·sh + a, p·sw + b).
// Lanes run along a contiguous "span" of dx: C_in values of one tap (C_in a multiple of 4), or, for other
// C_in (an image model's first layer), the kw·C_in values of a whole filter row, rounded up to a multiple
// of 4 with zero weights (the extra lanes add 0 to the next pixels). The padded buffer has one extra
// image, so images are always taken in pairs (an odd batch writes its last pair's second half there) and
// no position needs a bounds check.
// ---------------------------------------------------------------------------------------------------

/**
 * wt[t, d, c] = w[t, c, d] for t < taps and c < ci, and 0 for ci ≤ c < span: puts the span innermost,
 * padded with zero lanes to a multiple of 4.
 */
export function transposeFilter(w: usize, wt: usize, taps: i32, ci: i32, co: i32, span: i32): void {
  for (let t = 0; t < taps; t++) {
    const src = w + (<usize>(t * ci * co) << 2);
    const dst = wt + (<usize>(t * span * co) << 2);
    for (let d = 0; d < co; d++) {
      const row = dst + (<usize>(d * span) << 2);
      for (let c = 0; c < ci; c++) f32.store(row + (<usize>c << 2), f32.load(src + (<usize>(c * co + d) << 2)));
      for (let c = ci; c < span; c++) f32.store(row + (<usize>c << 2), 0);
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

// Four filter rows of span 4 at once (kw·C_in = 4, e.g. a 4-wide filter on a 1-channel image): one pass
// over dy's channels instead of four, with rows `rowStep` apart in dx and `groupBytes` apart in wt.
@inline
function scatterRows4(y0p: usize, y1p: usize, t0: usize, t1: usize, wp: usize, co: i32, rowStep: usize, groupBytes: usize): void {
  let a0 = v128.load(t0), a1 = v128.load(t0 + rowStep), a2 = v128.load(t0 + 2 * rowStep), a3 = v128.load(t0 + 3 * rowStep);
  let b0 = v128.load(t1), b1 = v128.load(t1 + rowStep), b2 = v128.load(t1 + 2 * rowStep), b3 = v128.load(t1 + 3 * rowStep);
  let yp0 = y0p, yp1 = y1p, q = wp;
  const g2 = 2 * groupBytes, g3 = 3 * groupBytes;
  for (let d = 0; d < co; d++) {
    const w0 = v128.load(q), w1 = v128.load(q + groupBytes), w2 = v128.load(q + g2), w3 = v128.load(q + g3);
    const s = v128.load32_splat(yp0);
    const t = v128.load32_splat(yp1);
    a0 = f32x4.add(a0, f32x4.mul(s, w0)); a1 = f32x4.add(a1, f32x4.mul(s, w1));
    a2 = f32x4.add(a2, f32x4.mul(s, w2)); a3 = f32x4.add(a3, f32x4.mul(s, w3));
    b0 = f32x4.add(b0, f32x4.mul(t, w0)); b1 = f32x4.add(b1, f32x4.mul(t, w1));
    b2 = f32x4.add(b2, f32x4.mul(t, w2)); b3 = f32x4.add(b3, f32x4.mul(t, w3));
    yp0 += 4;
    yp1 += 4;
    q += 16;
  }
  v128.store(t0, a0); v128.store(t0 + rowStep, a1); v128.store(t0 + 2 * rowStep, a2); v128.store(t0 + 3 * rowStep, a3);
  v128.store(t1, b0); v128.store(t1 + rowStep, b1); v128.store(t1 + 2 * rowStep, b2); v128.store(t1 + 3 * rowStep, b3);
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
        let a = 0;
        if (gw == 1 && span == 4) {
          for (; a + 4 <= kh; a += 4) {
            const t = pix + <usize>a * dxRow;
            scatterRows4(y0 + at, y1 + at, x0 + t, x1 + t, wt + <usize>a * groupBytes, co, dxRow, groupBytes);
          }
        }
        for (; a < kh; a++) {
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
