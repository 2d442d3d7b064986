import * as tf from '@tensorflow/tfjs-core';
import { reductionAxes } from './norms.js';
import { randomUniform, type RngState } from './random.js';

/**
 * FreeLB's masked random start (docs/strategies/freelb.md), shared by every method with
 * an NLP preset (FreeLB, PGD, FreeAT):
 * - `'l2'`: `δ₀ = U(−1, 1) ⊙ M · initMagnitude / sqrt(len_b · H)`, where
 *   `len_b · H` is the number of unmasked elements of example b, so
 *   `‖δ₀,b‖₂ ≤ initMagnitude` (expected ≈ initMagnitude/√3);
 * - `'linf'`: `δ₀ = U(−initMagnitude, initMagnitude) ⊙ M` (no length scaling).
 *
 * `mask` is [B, T] (1 = token, 0 = padding) for a [B, T, H] δ, or any shape that
 * broadcasts against `shape` after adding trailing axes; null means no padding.
 * Padded positions are exactly 0. An example with no tokens gets δ₀ = 0.
 */
export function maskedUniformInit(rng: RngState, shape: number[], mask: tf.Tensor | null, initMagnitude: number,
  norm: 'l2' | 'linf' = 'l2'): [tf.Tensor, RngState] {
  const [u, next] = randomUniform(rng, shape, -1, 1);
  const delta = tf.tidy(() => {
    let m: tf.Tensor = mask ? tf.cast(mask, 'float32') : tf.fill([shape[0] as number], 1);
    while (m.rank < shape.length) m = tf.expandDims(m, -1);
    // One pass over δ: the mask and the scale meet on the mask's small shape first (m is 0 or 1, so
    // u · (m · c) equals (u · m) · c bit for bit).
    if (norm === 'linf') return tf.mul(u, tf.mul(m, initMagnitude));
    // Unmasked elements per example without broadcasting the mask to δ's shape: Σ m times the
    // size of the axes m broadcasts over (H for a [B, T, 1] mask).
    const spread = shape.reduce((k, d, i) => (i > 0 && m.shape[i] === 1 ? k * d : k), 1);
    const count = tf.maximum(tf.mul(tf.sum(m, reductionAxes(shape.length, 'example'), true), spread), 1);
    return tf.mul(u, tf.mul(m, tf.div(initMagnitude, tf.sqrt(count))));
  });
  u.dispose();
  return [delta, next];
}
