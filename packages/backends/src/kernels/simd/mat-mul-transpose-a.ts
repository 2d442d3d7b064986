import type { TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsOf } from './module.js';
import { splitRange, workersFor } from './pool.js';

/**
 * C = Aᵀ·B (a dense layer's dW = xᵀ·dy) by the SIMD dW kernel: it is a 1×1 conv's filter gradient with
 * K positions, M input and N output channels, so no transpose is needed. Undefined where it does not
 * apply (module not loaded, N not a multiple of 4, batch sizes that broadcast, not float32).
 */
export function matMulTransposeASimd(backend: object, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (simd === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || ra !== rb || ra < 2) return undefined;
  const [k, m] = [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [kb, n] = [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const batchShape = a.shape.slice(0, -2);
  if (kb !== k || n % 4 !== 0 || k * m * n === 0 || batchShape.some((d, i) => d !== b.shape[i])) return undefined;
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const c = simd.allocate([...batchShape, m, n]);
  const [pa, pb, pc] = [simd.offsetOf(a), simd.offsetOf(b), simd.offsetOf(c)];
  // One 1×1 tap: the units are pairs of C's rows.
  const ranges = splitRange(Math.ceil(m / 2), workersFor(simd.threads, k * m * n));
  for (let i = 0; i < batch; i++) {
    simd.parallel('conv2dFilterGrad', ranges.map(([u0, u1]) =>
      [pa + 4 * i * k * m, pb + 4 * i * k * n, pc + 4 * i * m * n, 1, 1, k, m, 1, k, n, 1, 1, 1, 1, 0, 0, u0, u1]));
  }
  return c;
}
