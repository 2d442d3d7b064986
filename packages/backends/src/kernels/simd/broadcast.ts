import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';

/**
 * How the small operand repeats over the full one: as [outer, 1, inner] against [outer, middle, inner]
 * (a bias: outer = 1; a scale per example or token: inner = 1; a reduction's gradient: both > 1).
 */
export interface BroadcastPlan {
  /** Whether `a` is the full-size operand (the output's shape). */
  readonly fullIsA: boolean;
  readonly outer: number;
  readonly middle: number;
  readonly inner: number;
}

/**
 * The SIMD plan for `a ∘ b` with broadcasting, or null for same shapes (tfjs's kernel is already one
 * pass) and for broadcasts of another form (both operands repeated, or repeats along two runs of axes).
 */
export function planBroadcast(aShape: number[], bShape: number[]): BroadcastPlan | null {
  if (util.arraysEqual(aShape, bShape)) return null;
  const fullIsA = util.sizeFromShape(aShape) >= util.sizeFromShape(bShape);
  const [full, small] = fullIsA ? [aShape, bShape] : [bShape, aShape];
  if (!util.arraysEqual(backend_util.assertAndGetBroadcastShape(aShape, bShape), full)) return null;
  if (util.sizeFromShape(full) === 0) return null;
  const padded = [...new Array<number>(full.length - small.length).fill(1), ...small];
  // Axes where the small operand repeats (size 1 against more); axes of size 1 in both are neutral.
  const repeats = full.map((d, i) => d > 1 && padded[i] === 1);
  const first = repeats.indexOf(true);
  const last = repeats.lastIndexOf(true);
  if (first === -1) return null; // equal up to axes of size 1: nothing repeats
  if (full.slice(first, last + 1).some((d, k) => d > 1 && !repeats[first + k])) return null;
  return {
    fullIsA,
    outer: util.sizeFromShape(full.slice(0, first)),
    middle: util.sizeFromShape(full.slice(first, last + 1)),
    inner: util.sizeFromShape(full.slice(last + 1)),
  };
}

export type BinaryOp = 'add' | 'sub' | 'mul';

/**
 * `a ∘ b` in one SIMD pass where one operand repeats (see `planBroadcast`); undefined without the
 * module, for non-float32 operands, or where there is no plan: the caller then runs tfjs's kernel.
 */
export function broadcastBinarySimd(backend: object, a: TensorInfo, b: TensorInfo, op: BinaryOp): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  if (simd === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const plan = planBroadcast(a.shape, b.shape);
  if (plan === null) return undefined;
  const [full, small] = plan.fullIsA ? [a, b] : [b, a];
  const code = op === 'add' ? 0 : op === 'mul' ? 3 : plan.fullIsA ? 1 : 2;
  const out = simd.allocate(full.shape.slice());
  const [f, sm, o] = [simd.offsetOf(full), simd.offsetOf(small), simd.offsetOf(out)];
  // One value per row has no vector along the inner axis: splat it over the middle run instead.
  if (plan.inner === 1) simd.exports.binaryPerRow(code, f, sm, o, plan.outer, plan.middle);
  else simd.exports.binaryMiddle(code, f, sm, o, plan.outer, plan.middle, plan.inner);
  return out;
}
