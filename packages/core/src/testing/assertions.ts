import * as tf from '@tensorflow/tfjs-core';

/** Thrown by the kit's checks; independent of any test runner. */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConformanceError';
  }
}

/** Throws a `ConformanceError` with `message()` when `condition` is falsy. */
export function check(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new ConformanceError(message());
}

/** Relative tolerance for float32 on the current backend: 1e-5 on cpu/wasm, 1e-3 on GPU backends. */
export function backendTolerance(): number {
  const name = tf.getBackend();
  return name === 'cpu' || name === 'wasm' || name === 'tensorflow' ? 1e-5 : 1e-3;
}

/** A tensor's values as a `Float32Array`, read asynchronously. */
export async function values(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data() as ArrayLike<number>);
}

/**
 * Largest |a − b| / (1 + |b|) over all elements: a relative error that stays
 * meaningful near zero.
 */
export async function relativeError(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): Promise<number> {
  const x = a instanceof tf.Tensor ? await values(a) : a;
  const y = b instanceof tf.Tensor ? await values(b) : b;
  check(x.length === y.length, () => `length mismatch: ${x.length} vs ${y.length}`);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const err = Math.abs((x[i] as number) - (y[i] as number)) / (1 + Math.abs(y[i] as number));
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

/** Fails unless a ≈ b within `tolerance` (relative, see {@link relativeError}). */
export async function expectClose(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>,
  tolerance = backendTolerance(), what = 'values'): Promise<void> {
  const err = await relativeError(a, b);
  check(err <= tolerance, () => `${what} differ: relative error ${err.toExponential(3)} > tolerance ${tolerance}`);
}

/** Fails unless a and b are bit-identical. */
export async function expectIdentical(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>, what = 'values'): Promise<void> {
  const x = a instanceof tf.Tensor ? await values(a) : a;
  const y = b instanceof tf.Tensor ? await values(b) : b;
  check(x.length === y.length, () => `${what}: length ${x.length} vs ${y.length}`);
  for (let i = 0; i < x.length; i++) {
    check(Object.is(x[i], y[i]), () => `${what} differ at ${i}: ${x[i]} vs ${y[i]}`);
  }
}

/** Live tensors (including variables). */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
