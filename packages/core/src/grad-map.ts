import * as tf from '@tensorflow/tfjs-core';

/** Parameter gradients keyed by variable name, as `Optimizer.applyGradients` takes them. */
export type GradMap = Record<string, tf.Tensor>;

/** `a + b` key by key; a key present in one map only is copied. */
export function addGrads(a: GradMap, b: GradMap): GradMap {
  const out: GradMap = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    out[key] = x && y ? tf.add(x, y) : tf.clone((x ?? y) as tf.Tensor);
  }
  return out;
}

/** Sum of several maps. */
export function sumGrads(maps: readonly GradMap[]): GradMap {
  if (maps.length === 0) return {};
  return tf.tidy(() => maps.slice(1).reduce((acc, m) => addGrads(acc, m), copyGrads(maps[0] as GradMap)));
}

/** A new gradient map with every gradient multiplied by `factor`. */
export function scaleGrads(a: GradMap, factor: number): GradMap {
  const out: GradMap = {};
  for (const [key, value] of Object.entries(a)) out[key] = tf.mul(value, factor);
  return out;
}

/** A new gradient map holding clones of `a`'s gradients. */
export function copyGrads(a: GradMap): GradMap {
  const out: GradMap = {};
  for (const [key, value] of Object.entries(a)) out[key] = tf.clone(value);
  return out;
}

/** Disposes every gradient of `a` (nothing for null or undefined). */
export function disposeGrads(a: GradMap | null | undefined): void {
  if (a) for (const value of Object.values(a)) value.dispose();
}

/** Adds `b` into the running sum `acc` and disposes the old sum and `b`. */
export function accumulateGrads(acc: GradMap | null, b: GradMap): GradMap {
  if (acc === null) return b;
  const out = addGrads(acc, b);
  disposeGrads(acc);
  disposeGrads(b);
  return out;
}
