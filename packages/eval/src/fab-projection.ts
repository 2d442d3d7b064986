/**
 * The step FAB takes: the smallest d (in L∞ or L2) with ⟨w, t + d⟩ = b and
 * t + d inside the box [lo, hi]; when the box makes the hyperplane
 * unreachable, the move that gets closest (every coordinate at its bound).
 *
 * Both norms have the same shape of solution: with c = ⟨w, t⟩ − b and each
 * coordinate pushed against sign(c·w_i), d_i = −sign(c·w_i)·min(λ·v_i, cap_i),
 * where cap_i is the room to the bound and v_i = 1 (L∞) or |w_i| (L2). The
 * reduction g(λ) = Σ |w_i|·min(λ·v_i, cap_i) is piecewise linear and
 * increasing, so one sort of the breakpoints cap_i / v_i and a scan find the
 * λ with g(λ) = |c|.
 */
export function projectOntoHyperplane(t: ArrayLike<number>, w: ArrayLike<number>, b: number,
  box: readonly [number, number], norm: 'linf' | 'l2', out: Float64Array): Float64Array {
  const n = t.length;
  let c = -b;
  for (let i = 0; i < n; i++) c += (w[i] as number) * (t[i] as number);
  const s = c >= 0 ? 1 : -1;
  const goal = Math.abs(c);
  const caps = new Float64Array(n);
  const speed = new Float64Array(n);
  const order: number[] = [];
  let slope = 0;
  for (let i = 0; i < n; i++) {
    const wi = s * (w[i] as number);
    if (Math.abs(wi) < 1e-12) continue;
    // Moving against sign(w_i) lowers ⟨w, ·⟩: down to lo for w_i > 0, up to hi otherwise.
    caps[i] = Math.max(0, wi > 0 ? (t[i] as number) - box[0] : box[1] - (t[i] as number));
    speed[i] = norm === 'linf' ? 1 : Math.abs(wi);
    slope += Math.abs(wi) * speed[i]!;
    order.push(i);
  }
  order.sort((p, q) => caps[p]! / speed[p]! - caps[q]! / speed[q]!);
  let reached = 0;
  let lambda = Infinity;
  for (const i of order) {
    const knot = caps[i]! / speed[i]!;
    if (reached + slope * knot >= goal) {
      lambda = (goal - reached) / slope;
      break;
    }
    reached += Math.abs(w[i] as number) * caps[i]!;
    slope -= Math.abs(w[i] as number) * speed[i]!;
  }
  out.fill(0);
  for (const i of order) out[i] = -Math.sign(s * (w[i] as number)) * Math.min(lambda * speed[i]!, caps[i]!);
  return out;
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
