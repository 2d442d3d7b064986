import * as tf from '@tensorflow/tfjs-core';

/**
 * A counter-based seeded generator. The state is two integers, so it
 * serializes trivially and restores exactly. Each draw hands tfjs a fresh
 * 32-bit seed; tfjs generates seeded random values in JavaScript, so the same
 * state gives the same tensor on every backend.
 */
export interface RngState {
  readonly seed: number;
  readonly counter: number;
}

export function createRng(seed: number): RngState {
  return { seed: seed >>> 0, counter: 0 };
}

/** splitmix32-style mix of (seed, counter) into a 32-bit seed. */
export function mixSeed(seed: number, counter: number): number {
  let z = (seed ^ Math.imul(counter + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}

/** Draws one 32-bit seed and returns the advanced state. */
export function nextSeed(rng: RngState): [number, RngState] {
  return [mixSeed(rng.seed, rng.counter), { seed: rng.seed, counter: rng.counter + 1 }];
}

/** Uniform values in [lo, hi). */
export function randomUniform(rng: RngState, shape: number[], lo: number, hi: number): [tf.Tensor, RngState] {
  const [seed, next] = nextSeed(rng);
  return [tf.randomUniform(shape, lo, hi, 'float32', seed), next];
}

/** Gaussian values with the given mean and standard deviation. */
export function randomNormal(rng: RngState, shape: number[], mean = 0, std = 1): [tf.Tensor, RngState] {
  const [seed, next] = nextSeed(rng);
  return [tf.randomNormal(shape, mean, std, 'float32', seed), next];
}
