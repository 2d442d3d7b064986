import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, fillUniform, mixSeed, type Batch, type ModelView } from '@advtrain/core';
import { inferenceLogits } from './attack.js';
import { PKG } from './data.js';
import { boxOf, labelsOf, requireInputSite, type SuiteAttackResult } from './rows.js';
import { gridOf, squareFraction, squarePattern, type Grid } from './square-geometry.js';

/** Options of the Square attack (Andriushchenko et al., ECCV 2020). */
export interface SquareOptions {
  /** Radius of the threat model (> 0). */
  readonly epsilon: number;
  /** `'linf'` (default) or `'l2'`. */
  readonly norm?: 'linf' | 'l2';
  /** Model queries per example. Default 5000. */
  readonly queries?: number;
  /** Initial fraction of pixels a window covers. Default 0.8. */
  readonly pInit?: number;
  /** Seed of the windows and signs. Default 0. */
  readonly seed?: number;
}

const SQUARE_DEFAULTS = { epsilon: undefined as unknown as number, norm: 'linf' as 'linf' | 'l2', queries: 5000, pInit: 0.8, seed: 0 };

/** Validates Square attack options (unknown keys are errors) and fills in the defaults. */
/** Validates {@link SquareOptions} and fills the defaults. */
export function resolveSquare(options: SquareOptions): Readonly<typeof SQUARE_DEFAULTS> {
  return checkOptions(PKG, options, SQUARE_DEFAULTS).positive('epsilon').oneOf('norm', ['linf', 'l2'])
    .integer('queries', { min: 1 }).number('pInit', { minExclusive: 0, max: 1 }).integerSeed('seed').done();
}

type Square = Readonly<typeof SQUARE_DEFAULTS>;

/** Margin z_y − max_{i≠y} z_i of each example (≤ 0 means misclassified). */
async function margins(view: ModelView, xs: Float32Array, shape: number[], y: tf.Tensor, labels: Int32Array): Promise<Float64Array> {
  const x = tf.tensor(xs, shape, 'float32');
  const logits = inferenceLogits(view, { x, y });
  const z = await logits.data();
  const c = logits.shape[1] as number;
  tf.dispose([x, logits]);
  return Float64Array.from(labels, (label, b) => {
    let other = -Infinity;
    for (let k = 0; k < c; k++) if (k !== label) other = Math.max(other, z[b * c + k]!);
    return z[b * c + label]! - other;
  });
}

const clamp = (v: number, box: readonly [number, number]) => Math.min(Math.max(v, box[0]), box[1]);
const at = (g: Grid, r: number, col: number, ch: number) => (r * g.w + col) * g.c + ch;
const sign = (u: number) => (u < 0.5 ? -1 : 1);

/** Starting points: vertical stripes of ±ε (L∞), or a grid of ± window patterns scaled to ε (L2). */
function initialPoints(x0: Float32Array, n: number, g: Grid, a: Square, box: readonly [number, number]): Float32Array {
  const d = g.h * g.w * g.c;
  const out = new Float32Array(x0.length);
  const s = Math.max(1, Math.floor(g.h / 5));
  const start = Math.max(0, Math.floor((g.h - 5 * s) / 2));
  const blocks = Math.ceil((g.h - start) / s) * Math.ceil((g.w - start) / s);
  const per = Math.max(g.w, blocks) * g.c;
  const u = fillUniform(mixSeed(a.seed, 0xfffff), new Float32Array(n * per));
  for (let b = 0; b < n; b++) {
    const delta = new Float64Array(d);
    if (a.norm === 'linf') {
      for (let r = 0; r < g.h; r++) for (let col = 0; col < g.w; col++) for (let ch = 0; ch < g.c; ch++) {
        delta[at(g, r, col, ch)] = a.epsilon * sign(u[b * per + col * g.c + ch]!);
      }
    } else {
      const pattern = squarePattern(s, false);
      let block = 0;
      for (let r0 = start; r0 < g.h; r0 += s) for (let c0 = start; c0 < g.w; c0 += s, block++) {
        for (let ch = 0; ch < g.c; ch++) {
          const sg = sign(u[b * per + block * g.c + ch]!);
          for (let r = 0; r < s && r0 + r < g.h; r++) for (let col = 0; col < s && c0 + col < g.w; col++) {
            delta[at(g, r0 + r, c0 + col, ch)]! += sg * pattern[r * s + col]!;
          }
        }
      }
      const norm = Math.hypot(...delta) + 1e-12;
      for (let i = 0; i < d; i++) delta[i] = (a.epsilon * delta[i]!) / norm;
    }
    for (let i = 0; i < d; i++) out[b * d + i] = clamp(x0[b * d + i]! + delta[i]!, box);
  }
  return out;
}

/** One L∞ proposal: a window of side s set to x ± ε (one sign per channel). */
function linfProposal(best: Float32Array, x0: Float32Array, g: Grid, s: number, u: Float32Array, a: Square, box: readonly [number, number]): void {
  const vh = Math.floor(u[0]! * (g.h - s + 1));
  const vw = Math.floor(u[1]! * (g.w - s + 1));
  for (let ch = 0; ch < g.c; ch++) {
    const step = 2 * a.epsilon * sign(u[2 + ch]!);
    for (let r = vh; r < vh + s; r++) for (let col = vw; col < vw + s; col++) {
      const i = at(g, r, col, ch);
      const v = Math.min(Math.max(best[i]! + step, x0[i]! - a.epsilon), x0[i]! + a.epsilon);
      best[i] = clamp(v, box);
    }
  }
}

/**
 * One L2 proposal: the mass of window 1 ∪ window 2 is moved into window 1 as a
 * fresh ± pattern plus the old content of window 1, topped up with what is left
 * of the ε budget; then the whole δ is rescaled to norm ε.
 */
function l2Proposal(best: Float32Array, x0: Float32Array, g: Grid, s: number, u: Float32Array, a: Square, box: readonly [number, number]): void {
  const d = g.h * g.w * g.c;
  const delta = Float64Array.from(best, (v, i) => v - x0[i]!);
  const [vh, vw, vh2, vw2] = [0, 1, 2, 3].map((k) => Math.floor(u[k]! * ((k % 2 ? g.w : g.h) - s + 1))) as [number, number, number, number];
  const pattern = squarePattern(s, u[4]! > 0.5);
  const inW1 = (r: number, col: number) => r >= vh && r < vh + s && col >= vw && col < vw + s;
  const inW2 = (r: number, col: number) => r >= vh2 && r < vh2 + s && col >= vw2 && col < vw2 + s;
  let total = 0;
  for (let i = 0; i < d; i++) total += delta[i]! ** 2;
  for (let ch = 0; ch < g.c; ch++) {
    let w1 = 0;
    let both = 0;
    for (let r = 0; r < g.h; r++) for (let col = 0; col < g.w; col++) {
      const v = delta[at(g, r, col, ch)]! ** 2;
      if (inW1(r, col)) w1 += v;
      if (inW1(r, col) || inW2(r, col)) both += v;
    }
    const fresh = new Float64Array(s * s);
    for (let r = 0; r < s; r++) for (let col = 0; col < s; col++) {
      fresh[r * s + col] = pattern[r * s + col]! * sign(u[5 + ch]!) + delta[at(g, vh + r, vw + col, ch)]! / (1e-12 + Math.sqrt(w1));
    }
    const scale = Math.sqrt(Math.max(a.epsilon ** 2 - total, 0) / g.c + both) / (1e-12 + Math.hypot(...fresh));
    for (let r = 0; r < g.h; r++) for (let col = 0; col < g.w; col++) if (inW2(r, col)) delta[at(g, r, col, ch)] = 0;
    for (let r = 0; r < s; r++) for (let col = 0; col < s; col++) delta[at(g, vh + r, vw + col, ch)] = fresh[r * s + col]! * scale;
  }
  const norm = Math.sqrt(delta.reduce((p, v) => p + v * v, 0)) + 1e-12;
  for (let i = 0; i < d; i++) best[i] = clamp(x0[i]! + (a.epsilon * delta[i]!) / norm, box);
}

/**
 * Square attack: a random search that needs only the model's outputs, no
 * gradients. Each query changes one random square window of the current best
 * point (at a vertex of the L∞ ball, or redistributing L2 mass) and keeps the
 * change if the margin z_y − max_{i≠y} z_i drops. The window shrinks on a
 * fixed schedule. Because it never reads a gradient, a model that hides its
 * gradient (quantised, saturated, non-differentiable) cannot fool it.
 */
export async function squareAttack(view: ModelView, batch: Batch, options: SquareOptions): Promise<SuiteAttackResult> {
  const a = resolveSquare(options);
  requireInputSite(view, 'Square');
  const shape = [...batch.x.shape];
  const n = shape[0] as number;
  const d = batch.x.size / n;
  const g = gridOf(shape);
  const box = boxOf(view);
  const x0 = Float32Array.from(await batch.x.data());
  const probeLogits = inferenceLogits(view, batch);
  const labels = await labelsOf(batch.y, probeLogits.shape[1] as number);
  probeLogits.dispose();
  const clean = await margins(view, x0, shape, batch.y, labels);
  const best = initialPoints(x0, n, g, a, box);
  const margin = await margins(view, best, shape, batch.y, labels);
  // Misclassified clean examples are left alone (δ = 0), as in the other attacks.
  for (let b = 0; b < n; b++) if (clean[b]! <= 0) { best.set(x0.subarray(b * d, (b + 1) * d), b * d); margin[b] = clean[b]!; }
  const draws = 5 + g.c;
  for (let i = 0; i < a.queries; i++) {
    const active = Array.from(margin.keys()).filter((b) => margin[b]! > 0);
    if (active.length === 0) break;
    const p = squareFraction(i, a.pInit);
    let s = Math.round(Math.sqrt((p * d) / g.c));
    s = a.norm === 'linf' ? Math.max(s, 1) : Math.max(s, 3) + (Math.max(s, 3) % 2 === 0 ? 1 : 0);
    s = Math.min(s, g.h, g.w);
    const u = fillUniform(mixSeed(a.seed, i + 1), new Float32Array(active.length * draws));
    const proposal = new Float32Array(active.length * d);
    active.forEach((b, k) => {
      const row = proposal.subarray(k * d, (k + 1) * d);
      row.set(best.subarray(b * d, (b + 1) * d));
      const xb = x0.subarray(b * d, (b + 1) * d);
      const ub = u.subarray(k * draws, (k + 1) * draws);
      if (a.norm === 'linf') linfProposal(row, xb, g, s, ub, a, box);
      else l2Proposal(row, xb, g, s, ub, a, box);
    });
    const idx = tf.tensor1d(active, 'int32');
    const y = tf.gather(batch.y, idx);
    const m = await margins(view, proposal, [active.length, ...shape.slice(1)], y, Int32Array.from(active, (b) => labels[b]!));
    tf.dispose([idx, y]);
    active.forEach((b, k) => {
      if (m[k]! < margin[b]!) {
        margin[b] = m[k]!;
        best.set(proposal.subarray(k * d, (k + 1) * d), b * d);
      }
    });
  }
  const correct = Uint8Array.from(margin, (v) => (v > 0 ? 1 : 0));
  const delta = Float32Array.from(best, (v, i) => v - x0[i]!);
  return { delta: tf.tensor(delta, shape, 'float32'), correct };
}
