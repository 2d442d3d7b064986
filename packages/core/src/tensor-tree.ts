import * as tf from '@tensorflow/tfjs-core';

function isTensor(x: unknown): x is tf.Tensor {
  return typeof x === 'object' && x !== null && typeof (x as tf.Tensor).dataId === 'object'
    && typeof (x as tf.Tensor).dispose === 'function' && Array.isArray((x as tf.Tensor).shape);
}

/** Every tensor inside a (nested) object or array. */
export function tensorsIn(tree: unknown, out: Set<tf.Tensor> = new Set(), seen: Set<unknown> = new Set()): Set<tf.Tensor> {
  if (tree === null || typeof tree !== 'object' || seen.has(tree)) return out;
  seen.add(tree);
  if (isTensor(tree)) {
    out.add(tree);
    return out;
  }
  for (const value of Array.isArray(tree) ? tree : Object.values(tree as object)) tensorsIn(value, out, seen);
  return out;
}

/** Disposes tensors of `tree` that are not also in `keep`. */
export function disposeExcept(tree: unknown, keep: unknown): void {
  const kept = tensorsIn(keep);
  for (const t of tensorsIn(tree)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

/**
 * `tf.tidy` for any result shape: tensors anywhere inside the returned value
 * are kept, every other tensor created by `fn` is freed.
 */
export function scoped<T>(name: string, fn: () => T): T {
  return tf.tidy(name, fn as unknown as () => tf.TensorContainer) as unknown as T;
}
