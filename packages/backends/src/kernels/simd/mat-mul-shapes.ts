import type { TensorInfo } from '@tensorflow/tfjs-core';

/** The sizes of C = op(A)·B over equal batch shapes: A is [.., m, k] (or [.., k, m] when transposed), B [.., k, n]. */
export interface MatMulShapes {
  m: number;
  k: number;
  n: number;
  batchShape: number[];
  batch: number;
}

/**
 * The sizes of a float32 product the SIMD kernels take (N a multiple of 4, nothing empty, equal batch shapes),
 * or undefined where one of those does not hold.
 */
export function simdMatMulShapes(a: TensorInfo, b: TensorInfo, transposeA: boolean): MatMulShapes | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra !== rb || ra < 2) return undefined;
  const [rows, cols] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [m, k] = transposeA ? [cols, rows] : [rows, cols];
  const [kb, n] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const batchShape = a.shape.slice(0, -2);
  if (kb !== k || n % 4 !== 0 || m * k * n === 0 || batchShape.some((d, i) => d !== b.shape[i])) return undefined;
  return { m, k, n, batchShape, batch: batchShape.reduce((p, d) => p * d, 1) };
}
