/**
 * The step FAB takes: the smallest d (in L∞ or L2) with ⟨w, t + d⟩ = b and
 * t + d inside the box [lo, hi]; when the box makes the hyperplane
 * unreachable, the move that gets closest (every coordinate at its bound).
 *
 * Both norms have the same shape of solution: with c = ⟨w, t⟩ − b and each
 * coordinate pushed against sign(c·w_i), d_i = −sign(c·w_i)·min(λ·v_i, cap_i),
 * where cap_i is the room to the bound and v_i = 1 (L∞) or |w_i| (L2). The
 * reduction g(λ) = Σ |w_i|·min(λ·v_i, cap_i) is piecewise linear and
 * increasing: a binary search over the sorted breakpoints cap_i / v_i finds
 * the piece that holds g(λ) = |c|, and λ is solved on it. The breakpoints are
 * sorted as plain numbers (native typed-array sort, no comparator) and the
 * sums recomputed per probe: O(d log d) with small constants, which matters
 * because FAB projects twice per example and iteration.
 */
export function projectOntoHyperplane(t: ArrayLike<number>, w: ArrayLike<number>, b: number,
  box: readonly [number, number], norm: 'linf' | 'l2', out: Float64Array): Float64Array {
  const n = t.length;
  let c = -b;
  for (let i = 0; i < n; i++) c += (w[i] as number) * (t[i] as number);
  const s = c >= 0 ? 1 : -1;
  const goal = Math.abs(c);
  const { caps, mass, rate, knots } = scratch(n);
  for (let i = 0; i < n; i++) {
    const wi = s * (w[i] as number);
    const aw = Math.abs(wi);
    if (aw < 1e-12) { rate[i] = 0; mass[i] = 0; knots[i] = 0; caps[i] = 0; continue; }
    // Moving against sign(w_i) lowers ⟨w, ·⟩: down to lo for w_i > 0, up to hi otherwise.
    caps[i] = Math.max(0, wi > 0 ? (t[i] as number) - box[0] : box[1] - (t[i] as number));
    const speed = norm === 'linf' ? 1 : aw;
    rate[i] = aw * speed; // slope of |w_i|·min(λ·v_i, cap_i) before it saturates
    mass[i] = aw * caps[i]!; // its value after
    knots[i] = caps[i]! / speed;
  }
  // g(λ) with every coordinate whose breakpoint is ≤ lo saturated.
  const g = (lo: number, lambda: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) if (rate[i]! > 0) v += knots[i]! <= lo ? mass[i]! : lambda * rate[i]!;
    return v;
  };
  const sorted = knots.slice(0, n).sort();
  let lambda = Infinity;
  if (g(Infinity, Infinity) >= goal || !Number.isFinite(sorted[n - 1]!)) {
    let [lo, hi] = [0, n - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (g(sorted[mid]!, sorted[mid]!) >= goal) hi = mid; else lo = mid + 1;
    }
    const floor = lo > 0 ? sorted[lo - 1]! : 0;
    let reached = 0;
    let slope = 0;
    for (let i = 0; i < n; i++) {
      if (rate[i]! === 0) continue;
      if (knots[i]! <= floor) reached += mass[i]!; else slope += rate[i]!;
    }
    lambda = slope > 0 ? Math.max(0, (goal - reached) / slope) : floor;
  }
  out.fill(0);
  for (let i = 0; i < n; i++) {
    if (rate[i]! === 0) continue;
    const speed = norm === 'linf' ? 1 : Math.abs(w[i] as number);
    out[i] = -Math.sign(s * (w[i] as number)) * Math.min(lambda * speed, caps[i]!);
  }
  return out;
}

let buffers = { caps: new Float64Array(0), mass: new Float64Array(0), rate: new Float64Array(0), knots: new Float64Array(0) };

/** Work arrays reused between calls (FAB projects thousands of times per run). */
function scratch(n: number) {
  if (buffers.caps.length < n) {
    buffers = { caps: new Float64Array(n), mass: new Float64Array(n), rate: new Float64Array(n), knots: new Float64Array(n) };
  }
  return buffers;
}

/** ‖v‖∞ or ‖v‖₂. */
export function normOf(v: ArrayLike<number>, norm: 'linf' | 'l2'): number {
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i] as number);
    acc = norm === 'linf' ? Math.max(acc, a) : acc + a * a;
  }
  return norm === 'linf' ? acc : Math.sqrt(acc);
}
