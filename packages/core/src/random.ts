import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, describeValue } from './errors.js';
import { FUSED_KERNELS, runFused } from './fused-kernels.js';
import { portableExp, portableLog } from './portable-math.js';

/**
 * A counter-based seeded generator. The state is two integers, so it
 * serializes trivially and restores exactly. Each draw takes a fresh 32-bit
 * seed and generates its values on the CPU (see `fillUniform`), so the same
 * state gives the same tensor on every backend.
 */
export interface RngState {
  readonly seed: number;
  readonly counter: number;
}

/** A generator state from a seed (taken as an unsigned 32-bit integer), at counter 0. */
export function createRng(seed: number): RngState {
  return { seed: seed >>> 0, counter: 0 };
}

/** Checks and returns a serialized {@link RngState} (checkpoint restore). */
export function restoreRng(pkg: string, data: unknown): RngState {
  const rng = (data as { rng?: unknown } | null)?.rng as Partial<RngState> | undefined;
  if (!rng || !Number.isInteger(rng.seed) || !Number.isInteger(rng.counter)) {
    throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
      `${pkg}: cannot restore state ${describeValue(data)}; expected { rng: { seed, counter } } with integer fields.`);
  }
  return { seed: rng.seed as number, counter: rng.counter as number };
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

/** lowbias32 (C. Wellons), a 32-bit integer hash with full avalanche; int32 in and out (V8 keeps it unboxed). */
function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b | 0);
  return x ^ (x >>> 16);
}

/** Value i of a draw's stream: lowbias32 of a Weyl sequence keyed by the draw's seed (as in splitmix). */
function streamAt(key: number, i: number): number {
  return hash32((key + Math.imul(i, 0x9e3779b9 | 0)) | 0);
}

/**
 * Fills `out` with uniform values in [lo, hi) (hi itself only by float32 rounding): value i takes 24
 * random bits of `streamAt(key(seed), i)`, so a draw is a pure function of its seed. tf.randomUniform / tf.randomNormal run a seedrandom
 * generator per value: 9 ms and 16 ms for [64, 128, 32], against about 2 ms each here, which
 * mattered for random starts at the embedding output of a text model.
 */
export function fillUniform(seed: number, out: Float32Array, lo = 0, hi = 1): Float32Array {
  const key = hash32(seed ^ 0x3c6ef372);
  const width = (hi - lo) * 2 ** -24;
  for (let i = 0; i < out.length; i++) out[i] = lo + width * (streamAt(key, i) >>> 8);
  return out;
}

/**
 * Ziggurat tables for the standard normal (Marsaglia & Tsang 2000, 128 layers): layer i is accepted
 * outright when |value| < k[i]; w[i] scales a signed 32-bit integer to the layer's width; f[i] is the
 * density at the layer's edge.
 */
const ZIG = (() => {
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  const m1 = 2 ** 31;
  let dn = 3.442619855899;
  let tn = dn;
  const vn = 9.91256303526217e-3;
  const q = vn / portableExp(-0.5 * dn * dn);
  k[0] = (dn / q) * m1;
  k[1] = 0;
  w[0] = q / m1;
  w[127] = dn / m1;
  f[0] = 1;
  f[127] = portableExp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * portableLog(vn / dn + portableExp(-0.5 * dn * dn)));
    k[i + 1] = (dn / tn) * m1;
    tn = dn;
    f[i] = portableExp(-0.5 * dn * dn);
    w[i] = dn / m1;
  }
  return { k, w, f, r: 3.442619855899 };
})();

/**
 * Standard normal values by the ziggurat method over the hashed stream: about 99% of values cost one
 * hash and one multiply (the polar method needs a log and a square root per pair). Each draw takes its
 * layer from the top 7 bits and its value from the other 25, so the two are independent. The tables and
 * the rare wedge and tail draws use `portableExp` / `portableLog`, so the values are the same in every
 * JavaScript engine and in a backend's `AdvtrainRandomNormal` kernel.
 */
export function fillNormal(seed: number, out: Float32Array): Float32Array {
  const key = hash32(seed ^ 0x510e527f);
  const { k, w, f, r } = ZIG;
  let counter = 0;
  const uniform = () => ((streamAt(key, counter++) >>> 8) + 0.5) * 2 ** -24; // in (0, 1)
  for (let i = 0; i < out.length; i++) {
    let h = streamAt(key, counter++);
    let layer = h >>> 25;
    let value = h << 7; // signed, 25 random bits
    if (Math.abs(value) < k[layer]!) {
      out[i] = value * w[layer]!;
      continue;
    }
    for (;;) {
      const x = value * w[layer]!;
      if (layer === 0) {
        // The tail beyond r (Marsaglia 1964).
        let tx: number, ty: number;
        do {
          tx = -portableLog(uniform()) / r;
          ty = -portableLog(uniform());
        } while (ty + ty < tx * tx);
        out[i] = value > 0 ? r + tx : -r - tx;
        break;
      }
      if (f[layer]! + uniform() * (f[layer - 1]! - f[layer]!) < portableExp(-0.5 * x * x)) {
        out[i] = x;
        break;
      }
      h = streamAt(key, counter++);
      layer = h >>> 25;
      value = h << 7;
      if (Math.abs(value) < k[layer]!) {
        out[i] = value * w[layer]!;
        break;
      }
    }
  }
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Uniform values in [lo, hi): `fillUniform`'s, generated on the backend where it registers the fused kernel. */
export function randomUniform(rng: RngState, shape: number[], lo: number, hi: number): [tf.Tensor, RngState] {
  const [seed, next] = nextSeed(rng);
  const fused = runFused(FUSED_KERNELS.randomUniform, {}, { shape, seed, lo, hi });
  if (fused) return [fused, next];
  const values = fillUniform(seed, new Float32Array(sizeOf(shape)), lo, hi);
  return [tf.tensor(values, shape, 'float32'), next];
}

/**
 * Gaussian values with the given mean and standard deviation: `fillNormal`'s, then `mean + std · z` rounded
 * to float32, generated on the backend where it registers the fused kernel.
 */
export function randomNormal(rng: RngState, shape: number[], mean = 0, std = 1): [tf.Tensor, RngState] {
  const [seed, next] = nextSeed(rng);
  const fused = runFused(FUSED_KERNELS.randomNormal, {}, { shape, seed, mean, std });
  if (fused) return [fused, next];
  const values = fillNormal(seed, new Float32Array(sizeOf(shape)));
  if (mean !== 0 || std !== 1) for (let i = 0; i < values.length; i++) values[i] = mean + std * values[i]!;
  return [tf.tensor(values, shape, 'float32'), next];
}
