import * as tf from '@tensorflow/tfjs-core';
import { l2Norm, linfNorm, stableL2Norm, type NormScope } from './norms.js';

/** How a division guard is applied: `max(n, guard)` (FreeLB HF) or `n + guard` (MadryLab, SMART). */
export type GuardMode = 'max' | 'add';

function guarded(norm: tf.Tensor, guard: number, mode: GuardMode): tf.Tensor {
  return mode === 'max' ? tf.maximum(norm, guard) : tf.add(norm, guard);
}

/** Element-wise clamp of δ to [−ε, ε] (L∞ ball). */
export function clipLinf(delta: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.clipByValue(delta, -epsilon, epsilon);
}

/**
 * Projection onto the L2 ball of radius ε per `scope`: `δ · min(1, ε / ‖δ‖)`.
 * Rescales only points outside the ball; a zero δ stays zero (no NaN).
 */
export function projectL2(delta: tf.Tensor, epsilon: number, scope: NormScope = 'example'): tf.Tensor {
  return tf.tidy(() => {
    const norm = l2Norm(delta, scope);
    const factor = tf.minimum(1, tf.div(epsilon, tf.maximum(norm, 1e-30)));
    return tf.mul(delta, factor);
  });
}

/** Projection onto the L∞ or L2 ball. */
export function projectToBall(delta: tf.Tensor, norm: 'linf' | 'l2', epsilon: number,
  scope: NormScope = 'example'): tf.Tensor {
  return norm === 'linf' ? clipLinf(delta, epsilon) : projectL2(delta, epsilon, scope);
}

/**
 * Keeps the perturbed input valid: `clamp(x + δ, lo, hi) − x` (methods.md §0.1).
 * The clamp is applied to x + δ, never to δ alone.
 */
export function clampToRange(x: tf.Tensor, delta: tf.Tensor, range: readonly [number, number]): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.clipByValue(tf.add(x, delta), range[0], range[1]), x));
}

/** `g / guard(‖g‖₂)` per scope: a unit-L2 ascent direction (zero where g is zero). */
export function normalizeL2(g: tf.Tensor, options: { scope?: NormScope; guard?: number; guardMode?: GuardMode } = {}): tf.Tensor {
  const { scope = 'example', guard = 1e-12, guardMode = 'max' } = options;
  return tf.tidy(() => tf.div(g, guarded(l2Norm(g, scope), guard, guardMode)));
}

/** `g / guard(max|g|)` per scope: the max-normalised step of FreeLB's L∞ mode and SMART (not a sign step). */
export function normalizeLinf(g: tf.Tensor, options: { scope?: NormScope; guard?: number; guardMode?: GuardMode } = {}): tf.Tensor {
  const { scope = 'example', guard = 1e-12, guardMode = 'max' } = options;
  return tf.tidy(() => tf.div(g, guarded(linfNorm(g, scope), guard, guardMode)));
}

/** `ε · g / ‖g‖₂` with Miyato's stable norm: exactly radius ε wherever g is non-zero. */
export function scaleToL2(g: tf.Tensor, epsilon: number, scope: NormScope = 'example'): tf.Tensor {
  return tf.tidy(() => tf.mul(epsilon, tf.div(g, stableL2Norm(g, scope))));
}

/** The steepest-ascent step of a norm: `sign(g)` for L∞, `g/‖g‖₂` (per example) for L2. */
export function ascentDirection(g: tf.Tensor, norm: 'linf' | 'l2', guard = 1e-10): tf.Tensor {
  return norm === 'linf' ? tf.sign(g) : normalizeL2(g, { guard, guardMode: 'add' });
}

/**
 * Whether `x + clampToRange(x, δ, range)` lies in `range` bit for bit for every δ, so that a clamp
 * of it inside a later pass is the identity with gradient 1 (clipByValue's gradient is 1 at the
 * bounds) and may be skipped without changing a number. True when the range is `[0, 2^k]` and x
 * lies in it — which a view's `validRange` promises for the clean input: with IEEE 754 float32
 * add and sub, `fl(x + fl(c − x))` is exact for x ≥ hi/2 (Sterbenz) and otherwise within half a
 * spacing of `c ≤ hi`, which rounds to at most hi; and it is at least `fl(x − x) = 0`.
 */
export function clampKeepsRange(range: readonly [number, number] | null): boolean {
  return range !== null && range[0] === 0 && range[1] > 0 && Math.log2(range[1]) % 1 === 0;
}
