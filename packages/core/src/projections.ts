import * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from './contract.js';
import { FUSED_KERNELS, runFused } from './fused-kernels.js';
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
 * Keeps the perturbed input valid: `clamp(x + δ, lo, hi) − x`.
 * The clamp is applied to x + δ, never to δ alone. {@link keepInRange} is the
 * same clamp for a step's site; the views' `clampInput` clamps inside a pass instead
 * (the model sees clamp(x + δ), δ itself is left as it is).
 */
export function clampToRange(x: tf.Tensor, delta: tf.Tensor, range: readonly [number, number]): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.clipByValue(tf.add(x, delta), range[0], range[1]), x));
}

/** The input and its valid range where the step's site is the input and the view declares one; else null. */
export function rangeClamp(ctx: StepContext): RangeClamp | null {
  const range = ctx.view.validRange;
  return ctx.view.site === 'input' && range ? { x: ctx.batch.x, range } : null;
}

/** {@link clampToRange} at the step's site: for input sites with a valid range; δ unchanged otherwise. */
export function keepInRange(ctx: StepContext, delta: tf.Tensor): tf.Tensor {
  const clamp = rangeClamp(ctx);
  return clamp ? clampToRange(clamp.x, delta, clamp.range) : delta;
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

/** Whether `scale` holds one value per row of `a`'s leading axes (`[]`, or a's leading dims then 1s). */
function scalesRows(scale: tf.Tensor, a: tf.Tensor): boolean {
  if (scale.rank === 0) return true;
  if (scale.rank !== a.rank) return false;
  const lead = scale.shape.findIndex((d, i) => d !== a.shape[i]);
  return lead === -1 || scale.shape.slice(lead).every((d) => d === 1);
}

/**
 * `a + scale · b` for a and b of one shape and `scale` a number, a scalar or one value per row of
 * the leading axes ([B, 1, …] per example, [B, T, 1] per token): one pass where the backend registers
 * the fused kernel, a multiply and an add otherwise.
 */
export function scaledAdd(a: tf.Tensor, b: tf.Tensor, scale: tf.Tensor | number): tf.Tensor {
  return tf.tidy(() => {
    const s = typeof scale === 'number' ? tf.scalar(scale) : scale;
    const fusable = tf.util.arraysEqual(a.shape, b.shape) && scalesRows(s, a);
    return (fusable ? runFused(FUSED_KERNELS.scaledAdd, { a, b, scale: s }, {}) : null) ?? tf.add(a, tf.mul(s, b));
  });
}

/** The input clamp of a sign step: `clamp(x + δ, lo, hi) − x` afterwards (see `clampToRange`, `rangeClamp`). */
export interface RangeClamp {
  readonly x: tf.Tensor;
  readonly range: readonly [number, number];
}

/**
 * One L∞ ascent step `clip(δ + a·sign(g), −ε, ε)` (no clip for ε = null), then `clamp` when given:
 * the step of FGSM, PGD, FreeAT and YOPO. One pass where the backend registers the fused kernel.
 */
export function signAscent(delta: tf.Tensor, grad: tf.Tensor, stepSize: number, epsilon: number | null,
  clamp: RangeClamp | null = null): tf.Tensor {
  const shapes = [grad, ...(clamp ? [clamp.x] : [])].every((t) => tf.util.arraysEqual(t.shape, delta.shape));
  const [lo, hi] = clamp?.range ?? [0, 0];
  const fused = shapes ? runFused(FUSED_KERNELS.signStep, { delta, grad, ...(clamp ? { x: clamp.x } : {}) },
    { stepSize, epsilon: epsilon ?? Infinity, lo, hi }) : null;
  if (fused) return fused;
  return tf.tidy(() => {
    const moved = tf.add(delta, tf.mul(stepSize, tf.sign(grad)));
    const projected = epsilon === null ? moved : clipLinf(moved, epsilon);
    return clamp ? clampToRange(clamp.x, projected, clamp.range) : projected;
  });
}

/**
 * `δ + a · g / (‖g‖₂ + 1e-10)` per example, projected onto the L2 ball of radius ε (no projection for
 * ε = null): the L2 step of MadryLab's PGD and of FreeAT's and YOPO's NLP code.
 */
export function l2AscentStep(delta: tf.Tensor, g: tf.Tensor, stepSize: number, epsilon: number | null): tf.Tensor {
  return tf.tidy(() => {
    const moved = normalizedAscent(delta, g, stepSize, { norm: 'l2', guard: 1e-10, guardMode: 'add' });
    return epsilon === null ? moved : projectL2(moved, epsilon);
  });
}

/**
 * `δ + a · g / guard(‖g‖)` per scope, ‖·‖ the L2 or the max-abs norm: a normalised ascent step
 * (L2-PGD, FreeAT's and YOPO's NLP steps, FreeLB, SMART), computed as one scale per row and
 * {@link scaledAdd}.
 */
export function normalizedAscent(delta: tf.Tensor, g: tf.Tensor, stepSize: number,
  options: { norm: 'l2' | 'linf'; scope?: NormScope; guard: number; guardMode: GuardMode }): tf.Tensor {
  const { norm, scope = 'example', guard, guardMode } = options;
  return tf.tidy(() => {
    const size = norm === 'l2' ? l2Norm(g, scope) : linfNorm(g, scope);
    return scaledAdd(delta, g, tf.div(stepSize, guarded(size, guard, guardMode)));
  });
}
