import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, runFused } from './fused-kernels.js';

/**
 * Which axes a norm reduces over (docs/strategies/README.md, Notation):
 * - `'example'`: all non-batch axes, one norm per example (FGM, FreeLB, L2-PGD);
 * - `'token'`: the last axis only, one norm per token (SMART);
 * - `'batch'`: every axis, one norm for the whole tensor (the NLP snippet's table norm).
 * Results keep reduced axes as size 1, so they broadcast against the input.
 */
export type NormScope = 'example' | 'token' | 'batch';

/** The axes a norm of the given scope reduces over, for a tensor of rank `rank`. */
export function reductionAxes(rank: number, scope: NormScope): number[] {
  if (scope === 'batch') return Array.from({ length: rank }, (_, i) => i);
  if (scope === 'token') return [rank - 1];
  return Array.from({ length: Math.max(rank - 1, 0) }, (_, i) => i + 1);
}

/** Σ x² over `scope`, with kept dims: one pass where the backend registers the fused kernel. */
export function sumOfSquares(x: tf.Tensor, scope: NormScope = 'example'): tf.Tensor {
  const axes = reductionAxes(x.rank, scope);
  return runFused(FUSED_KERNELS.sumOfSquares, { x }, { axes }) ?? tf.tidy(() => tf.sum(tf.square(x), axes, true));
}

/** Euclidean norm over `scope`, with kept dims. */
export function l2Norm(x: tf.Tensor, scope: NormScope = 'example'): tf.Tensor {
  return tf.tidy(() => tf.sqrt(sumOfSquares(x, scope)));
}

/** Max-abs norm over `scope`, with kept dims. */
export function linfNorm(x: tf.Tensor, scope: NormScope = 'example'): tf.Tensor {
  return tf.tidy(() => tf.max(tf.abs(x), reductionAxes(x.rank, scope), true));
}

/**
 * L2 norm computed as in Miyato et al.'s `_scale_l2`: divide by the max-abs
 * value first so tiny gradients do not underflow when squared:
 * `a · sqrt(Σ (x/a)² + 1e-6)` with `a = max|x| + 1e-12`.
 */
export function stableL2Norm(x: tf.Tensor, scope: NormScope = 'example'): tf.Tensor {
  return tf.tidy(() => {
    const a = tf.add(linfNorm(x, scope), 1e-12);
    const scaled = tf.div(x, a);
    return tf.mul(a, tf.sqrt(tf.add(sumOfSquares(scaled, scope), 1e-6)));
  });
}
