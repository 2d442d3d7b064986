import type { TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';
import { splitRange, workersFor } from './pool.js';

/**
 * C = A·Bᵀ (a dense layer's dx = dy·Wᵀ) by dot products of rows, with no transpose of B, split over the
 * module's threads by rows of C. Undefined where it does not apply (module not loaded, K or N not a multiple
 * of 4, batch shapes that broadcast, not float32).
 */
export function matMulTransposeBSimd(backend: object, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (simd === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || ra !== rb || ra < 2) return undefined;
  const [m, k] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [n, kb] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const batchShape = a.shape.slice(0, -2);
  if (kb !== k || k % 4 !== 0 || n % 4 !== 0 || m * k * n === 0 || batchShape.some((d, i) => d !== b.shape[i])) return undefined;
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const c = simd.allocate([...batchShape, m, n]);
  const [pa, pb, pc] = [simd.offsetOf(a), simd.offsetOf(b), simd.offsetOf(c)];
  const ranges = splitRange(m, workersFor(simd.threads, m * k * n), 2);
  for (let i = 0; i < batch; i++) {
    simd.parallel('matMulTransposeB', ranges.map(([i0, i1]) =>
      [pa + 4 * i * m * k, pb + 4 * i * n * k, pc + 4 * i * m * n, k, n, i0, i1]));
  }
  return c;
}
