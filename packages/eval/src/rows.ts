import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, type Batch, type ModelView } from '@advtrain/core';
import { PKG } from './data.js';

/** What each attack of the AutoAttack suite returns for one batch. */
export interface SuiteAttackResult {
  /** Perturbation per example: a misclassifying one where the attack succeeded. Caller disposes. */
  readonly delta: tf.Tensor;
  /** 1 where the example is still classified correctly (within ε), else 0. */
  readonly correct: Uint8Array;
}

/** Rows `indices` of a batch (new tensors; the caller disposes them). */
export function takeRows(batch: Batch, indices: readonly number[]): Batch {
  const idx = tf.tensor1d(Array.from(indices), 'int32');
  const out: Batch = { x: tf.gather(batch.x, idx), y: tf.gather(batch.y, idx),
    ...(batch.mask ? { mask: tf.gather(batch.mask, idx) } : {}) };
  idx.dispose();
  return out;
}

/**
 * Per example: rows of `a` where `mask` is 1, rows of `b` elsewhere. A blend
 * `a·m + b·(1 − m)` (exact for m ∈ {0, 1}) rather than tf.where, whose
 * broadcast goes through Tile (slow on wasm: most of an APGD step).
 */
export function selectRows(mask: readonly number[] | Uint8Array, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.tensor(Float32Array.from(mask, (v) => (v ? 1 : 0)), [a.shape[0] as number, ...Array<number>(a.rank - 1).fill(1)]);
    return tf.add(tf.mul(a, m), tf.mul(b, tf.sub(1, m)));
  });
}

/** Class indices [B] of the labels (indices or one-hot), read asynchronously. */
export async function labelsOf(y: tf.Tensor, classes: number): Promise<Int32Array> {
  const t = tf.tidy(() => (y.rank >= 2 && y.shape[y.rank - 1] === classes ? tf.argMax(y, -1) : tf.cast(y, 'int32')));
  const values = await t.data();
  t.dispose();
  return Int32Array.from(values);
}

/** Per example, the classes ordered from the largest logit down. */
export async function classRanking(logits: tf.Tensor): Promise<number[][]> {
  const [b, c] = logits.shape as [number, number];
  const values = await logits.data();
  const out: number[][] = [];
  for (let i = 0; i < b; i++) {
    const row = Array.from({ length: c }, (_, k) => k);
    row.sort((p, q) => (values[i * c + q] as number) - (values[i * c + p] as number));
    out.push(row);
  }
  return out;
}

/** The attacks of the suite perturb pixels: refuse embedding sites with a clear message. */
export function requireInputSite(view: ModelView, attack: string): void {
  if (view.site !== 'input') {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      `${PKG}: ${attack} perturbs model inputs; this view perturbs the ${view.site} output (use pgdAttack / robustAccuracy there).`);
  }
}

/** `[lo, hi]` of x + δ, or the whole real line when the view has no valid range. */
export function boxOf(view: ModelView): [number, number] {
  return view.validRange ? [view.validRange[0], view.validRange[1]] : [-Infinity, Infinity];
}
