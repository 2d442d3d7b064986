import type { TensorInfo } from '@tensorflow/tfjs-core';
import { simdMatMulShapes } from './mat-mul-shapes.js';
import { simdKernelsOf } from './module.js';
import { splitRange, workersFor } from './pool.js';

/**
 * C = Aᵀ·B (a dense layer's dW = xᵀ·dy) by the SIMD dW kernel: it is a 1×1 conv's filter gradient with
 * K positions, M input and N output channels, so no transpose is needed. Undefined where it does not
 * apply (module not loaded, N not a multiple of 4, batch sizes that broadcast, not float32).
 */
export function matMulTransposeASimd(backend: object, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const simd = simdKernelsOf(backend);
  const shapes = simdMatMulShapes(a, b, true);
  if (simd === undefined || shapes === undefined) return undefined;
  const { m, k, n, batchShape, batch } = shapes;
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
