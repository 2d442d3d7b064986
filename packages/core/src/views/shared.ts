import * as tf from '@tensorflow/tfjs-core';
import type { DropoutControl } from '../dropout.js';
import { AdvtrainError } from '../errors.js';
import type { Batch, ForwardContext, ForwardOptions } from './types.js';

/** x + δ for input sites, clamped to the valid range when asked. */
export function perturbInput(x: tf.Tensor, delta: tf.Tensor | null, range: readonly [number, number] | null,
  options: ForwardOptions): tf.Tensor {
  const xf = x.dtype === 'float32' ? x : floatBuffer(x);
  const moved = delta ? tf.add(xf, delta) : xf;
  if (options.clampInput && range) return tf.clipByValue(moved, range[0], range[1]);
  return moved;
}

export function forwardContext(training: boolean, mask: tf.Tensor | null, dropout: DropoutControl): ForwardContext {
  return {
    training,
    mask,
    dropout: (x, rate, noiseShape) => dropout.apply(x, rate, training, noiseShape),
  };
}

/** Float [B, T] mask from the batch, or from `ids != padId`, or all ones. */
export function tokenMask(batch: Batch, padId: number | null): tf.Tensor {
  return tf.tidy(() => {
    if (batch.mask) return floatBuffer(batch.mask);
    if (padId !== null) return floatBuffer(tf.notEqual(batch.x, tf.scalar(padId, batch.x.dtype)));
    return tf.ones(batch.x.shape, 'float32');
  });
}

/**
 * `cast(t, 'float32')` backed by a real float buffer. On webgpu (tfjs 4.22) a
 * cast from bool/int32 only relabels the integer buffer, and a later 3-D
 * transpose (a Sum over a non-last axis) fails WGSL validation and drops the
 * whole command buffer (tensorflow/tfjs#8638). A float kernel fixes the type.
 */
export function floatBuffer(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.cast(t, 'float32'), tf.scalar(1)));
}

/**
 * `z` in the forward pass; in the backward pass the upstream gradient plus `costate` (a constant),
 * i.e. the gradient of `objective + Σ z ⊙ costate`. See `ForwardOptions.layerOneCostate`.
 */
export function injectCostate(z: tf.Tensor, costate: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.add(dy, costate),
  }));
  return op(z) as tf.Tensor;
}

/** Runs `fn`, then writes the saved values back into `stats` (moving means and variances). */
export function preserving<T>(stats: readonly tf.Variable[], fn: () => T): T {
  if (stats.length === 0) return fn();
  const saved = stats.map((v) => tf.clone(v));
  try {
    return fn();
  } finally {
    stats.forEach((v, i) => v.assign(saved[i] as tf.Tensor));
    saved.forEach((t) => t.dispose());
  }
}

export function uniqueVariables(pkgWhere: string, variables: readonly tf.Variable[]): tf.Variable[] {
  const seen = new Set<string>();
  for (const v of variables) {
    if (seen.has(v.name)) {
      throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
        `@advtrain/core: ${pkgWhere} received two variables named "${v.name}"; gradient maps are keyed by name, so names must be unique.`);
    }
    seen.add(v.name);
  }
  return [...variables];
}
