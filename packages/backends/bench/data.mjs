// Deterministic inputs for the benchmark scripts (an LCG, so every run and backend sees the same data).
import * as tf from '@tensorflow/tfjs-core';

/** `size` values in [-0.5, 0.5) from a 32-bit LCG seeded with `seed`. */
export function seeded(size, seed) {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** A tensor of `seeded` values times `scale`. */
export const randn = (shape, seed, scale = 1) =>
  tf.tidy(() => tf.mul(tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed), shape), scale));
