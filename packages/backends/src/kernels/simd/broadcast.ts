import { backend_util, util, type TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';

/** How one operand repeats over the other: along the leading axes (a bias) or once per row. */
export interface BroadcastPlan {
  readonly kind: 'repeated' | 'perRow';
  /** Whether `a` is the full-size operand (the output's shape). */
  readonly fullIsA: boolean;
  readonly rows: number;
  /** Values per row of the full operand. */
  readonly n: number;
}

/**
 * The SIMD plan for `a ∘ b` with broadcasting, or null for same shapes (tfjs's kernel is already one
 * pass) and for broadcasts of another form (both operands repeated, a repeated middle axis).
 */
export function planBroadcast(aShape: number[], bShape: number[]): BroadcastPlan | null {
  if (util.arraysEqual(aShape, bShape)) return null;
  const fullIsA = util.sizeFromShape(aShape) >= util.sizeFromShape(bShape);
  const [full, small] = fullIsA ? [aShape, bShape] : [bShape, aShape];
  if (!util.arraysEqual(backend_util.assertAndGetBroadcastShape(aShape, bShape), full)) return null;
  const size = util.sizeFromShape(full);
  const smallSize = util.sizeFromShape(small);
  if (size === 0) return null;
  if (smallSize === 1) return { kind: 'perRow', fullIsA, rows: 1, n: size };
  const trimmed = small.slice(small.findIndex((d) => d !== 1));
  if (util.arraysEqual(trimmed, full.slice(full.length - trimmed.length))) {
    return { kind: 'repeated', fullIsA, rows: size / smallSize, n: smallSize };
  }
  const padded = [...new Array<number>(full.length - small.length).fill(1), ...small];
  const lead = padded.findIndex((d, i) => d !== full[i]);
  if (lead <= 0 || !padded.slice(lead).every((d) => d === 1)) return null;
  return { kind: 'perRow', fullIsA, rows: util.sizeFromShape(full.slice(0, lead)), n: util.sizeFromShape(full.slice(lead)) };
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
  const run = plan.kind === 'repeated' ? simd.exports.binaryRepeated : simd.exports.binaryPerRow;
  run(code, simd.offsetOf(full), simd.offsetOf(small), simd.offsetOf(out), plan.rows, plan.n);
  return out;
}
