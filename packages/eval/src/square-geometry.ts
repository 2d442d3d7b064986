/**
 * Where Square's windows live: rows × columns × channels of one example.
 * NHWC images are used as they are; [B, H, W] has one channel; a flat [B, D]
 * input is laid out as the most square H × W grid with H·W = D (784 → 28 × 28).
 */
export interface Grid {
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

export function gridOf(shape: readonly number[]): Grid {
  const dims = shape.slice(1);
  if (dims.length === 3) return { h: dims[0]!, w: dims[1]!, c: dims[2]! };
  if (dims.length === 2) return { h: dims[0]!, w: dims[1]!, c: 1 };
  const d = dims.reduce((p, q) => p * q, 1);
  let h = Math.floor(Math.sqrt(d));
  while (d % h !== 0) h--;
  return { h, w: d / h, c: 1 };
}

/**
 * Fraction p of the pixels a window covers at query i: p_init halved at
 * queries 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 (the schedule the
 * AutoAttack suite runs, not rescaled to the query budget).
 */
export function squareFraction(i: number, pInit: number): number {
  const knots = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  for (const k of knots) if (i > k) halvings++;
  return pInit / 2 ** halvings;
}

/** Concentric rectangles weighted 1/(k+1)² around the centre of a rows × cols patch. */
function rings(rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  let r0 = Math.floor(rows / 2);
  let c0 = Math.floor(cols / 2);
  const count = Math.max(Math.floor(rows / 2) + 1, Math.floor(cols / 2) + 1);
  for (let k = 0; k < count; k++, r0--, c0--) {
    for (let r = Math.max(r0, 0); r < Math.min(r0 + 2 * k + 1, rows); r++) {
      for (let c = Math.max(c0, 0); c < Math.min(c0 + 2 * k + 1, cols); c++) out[r * cols + c]! += 1 / (k + 1) ** 2;
    }
  }
  return out;
}

/**
 * The L2 window pattern of an s × s patch: positive rings on the top half,
 * negative on the bottom (transposed when `transpose`), unit L2 norm. Its mass
 * sits at the centres, so a few windows make a large, low-frequency change.
 */
export function squarePattern(s: number, transpose: boolean): Float64Array {
  const top = Math.floor(s / 2);
  const a = rings(top, s);
  const b = rings(s - top, s);
  const unit = (v: Float64Array) => {
    const n = Math.hypot(...v);
    return n > 0 ? v.map((x) => x / n) : v;
  };
  const [ua, ub] = [unit(a), unit(b)];
  const out = new Float64Array(s * s);
  for (let i = 0; i < s * s; i++) out[i] = i < top * s ? ua[i]! : -ub[i - top * s]!;
  const n = Math.hypot(...out);
  const p = out.map((x) => x / n);
  if (!transpose) return p;
  const t = new Float64Array(s * s);
  for (let r = 0; r < s; r++) for (let c = 0; c < s; c++) t[c * s + r] = p[r * s + c]!;
  return t;
}
