import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, describeValue, type AdvtrainErrorCode } from './errors.js';
import type { Batch, PerturbationSite } from './views/types.js';

/**
 * Batch validation shared by the trainer and the evaluators. Shape checks are
 * synchronous and run before any op; value checks build one small float32
 * tensor of statistics on the device (no synchronous read), which the caller
 * reads with the loss in its one asynchronous read-back and then hands to
 * {@link checkBatchValues}.
 */

/** An invalid or non-finite batch. `argument` is the part at fault, e.g. `batch.y`. */
export class BatchError extends AdvtrainError {
  readonly argument: string;
  readonly received: string;
  constructor(code: AdvtrainErrorCode, argument: string, received: string, message: string) {
    super(code, message);
    this.name = 'BatchError';
    this.argument = argument;
    this.received = received;
  }
}

/** What a batch must look like. */
export interface BatchExpectation {
  /** Package named in messages, e.g. `@advtrain/core`. */
  readonly pkg: string;
  /** Name of the argument, e.g. `batch` (messages say `batch.x`). */
  readonly what: string;
  readonly site: PerturbationSite;
  /** Shape of x (with the batch dimension, as null or a number), when known. */
  readonly inputShape: readonly (number | null)[] | null;
  /** `'classes'`: y is class indices [B] or one-hot / soft labels [B, C]; `'targets'`: any [B, …]. */
  readonly labels: 'classes' | 'targets';
  /** Number of classes, when known. */
  readonly classes: number | null;
  /** Range the clean input must lie in (input sites), or null. */
  readonly validRange: readonly [number, number] | null;
}

const FLOAT = new Set(['float32']);
const NUMERIC = new Set(['float32', 'int32']);

function isTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor || (typeof value === 'object' && value !== null
    && Array.isArray((value as tf.Tensor).shape) && typeof (value as tf.Tensor).dtype === 'string'
    && typeof (value as tf.Tensor).dataId === 'object');
}

function fail(e: BatchExpectation, part: string, expected: string, value: unknown, hint = ''): never {
  const argument = `${e.what}.${part}`;
  const received = describeValue(value);
  throw new BatchError('ADVTRAIN_INVALID_BATCH', argument, received,
    `${e.pkg}: ${argument} must be ${expected} (received ${received}).${hint ? ` ${hint}` : ''}`);
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d, i) => (d === null ? (i === 0 ? 'B' : '?') : String(d))).join(', ')}]`;
}

/** Synchronous shape and dtype checks; returns the batch size B. Creates no tensor. */
export function checkBatchShapes(batch: unknown, e: BatchExpectation): number {
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) {
    throw new BatchError('ADVTRAIN_INVALID_BATCH', e.what, describeValue(batch),
      `${e.pkg}: ${e.what} must be an object { x, y } of tensors (received ${describeValue(batch)}).`);
  }
  const { x, y, mask } = batch as Partial<Batch>;
  if (!isTensor(x)) fail(e, 'x', 'a tensor', x);
  if (x.isDisposed) fail(e, 'x', 'a live tensor', 'a disposed tensor');
  if (x.rank < 1 || !(x.shape[0] as number > 0)) fail(e, 'x', 'a tensor [B, …] with at least one example', x);
  const b = x.shape[0] as number;
  if (e.site === 'input') {
    if (!NUMERIC.has(x.dtype)) fail(e, 'x', 'a float32 (or int32) tensor', x);
    const expected = e.inputShape;
    if (expected && (x.rank !== expected.length || expected.some((d, i) => i > 0 && d !== null && d !== x.shape[i]))) {
      fail(e, 'x', `a tensor of shape ${shapeText(expected)}, the model's input`, x);
    }
  } else {
    if (!NUMERIC.has(x.dtype)) fail(e, 'x', 'token ids [B, T] (int32)', x);
    if (x.rank !== 2) fail(e, 'x', 'token ids of shape [B, T]', x);
  }
  if (!isTensor(y)) fail(e, 'y', 'a tensor', y);
  if (y.isDisposed) fail(e, 'y', 'a live tensor', 'a disposed tensor');
  if (y.rank < 1 || y.shape[0] !== b) fail(e, 'y', `a tensor with ${b} rows, one per example of x`, y);
  if (!NUMERIC.has(y.dtype)) fail(e, 'y', 'a float32 or int32 tensor', y);
  if (e.labels === 'classes') {
    const indices = 'class indices [B] (int32) or one-hot / soft labels [B, C] (float32)';
    if (y.rank === 2 && y.shape[1] === 1 && e.classes !== 1) {
      fail(e, 'y', indices, y, 'A [B, 1] tensor is ambiguous; squeeze it (tf.squeeze(y, [1])) to pass class indices.');
    }
    if (y.rank > 2) fail(e, 'y', indices, y);
    if (y.rank === 2 && !FLOAT.has(y.dtype)) fail(e, 'y', indices, y, 'Cast one-hot labels to float32.');
    if (y.rank === 2 && e.classes !== null && y.shape[1] !== e.classes) {
      fail(e, 'y', `one-hot / soft labels [B, ${e.classes}] for the model's ${e.classes} classes`, y);
    }
  }
  if (mask !== undefined) {
    if (!isTensor(mask)) fail(e, 'mask', 'a tensor [B, T] or absent', mask);
    if (mask.rank !== x.rank || mask.shape.some((d, i) => d !== x.shape[i])) {
      fail(e, 'mask', `a tensor of the ids' shape [${x.shape.join(', ')}]`, mask);
    }
  }
  return b;
}

/** Which statistics a stats tensor holds, in order. */
export interface StatsLayout {
  readonly entries: ReadonlyArray<'xFinite' | 'xMin' | 'xMax' | 'yFinite' | 'yMin' | 'yMax' | 'yFraction' | 'yRowSum'>;
}

/**
 * The batch's value statistics as one float32 vector, built on the device:
 * `Σ x·0` (NaN when x holds a NaN or ±Inf), min and max of x, and for labels
 * their finiteness, range, fractional part or row-sum error. Caller disposes.
 */
export function batchStats(batch: Batch, e: BatchExpectation): { stats: tf.Tensor1D; layout: StatsLayout } {
  const entries: Array<StatsLayout['entries'][number]> = [];
  const stats = tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    const push = (name: StatsLayout['entries'][number], t: tf.Tensor) => { entries.push(name); parts.push(tf.reshape(tf.cast(t, 'float32'), [1])); };
    const x = batch.x.dtype === 'float32' ? batch.x : tf.cast(batch.x, 'float32');
    if (batch.x.dtype === 'float32') push('xFinite', tf.sum(tf.mul(x, 0)));
    if (e.validRange || e.site === 'embedding') {
      push('xMin', tf.min(x));
      push('xMax', tf.max(x));
    }
    const y = batch.y.dtype === 'float32' ? batch.y : tf.cast(batch.y, 'float32');
    if (batch.y.dtype === 'float32') push('yFinite', tf.sum(tf.mul(y, 0)));
    if (e.labels === 'classes') {
      push('yMin', tf.min(y));
      if (y.rank === 1) {
        push('yMax', tf.max(y));
        if (batch.y.dtype === 'float32') push('yFraction', tf.max(tf.abs(tf.sub(y, tf.floor(y)))));
      } else {
        push('yRowSum', tf.max(tf.abs(tf.sub(tf.sum(y, -1), 1))));
      }
    }
    return parts.length ? tf.concat(parts) as tf.Tensor1D : tf.zeros([0]) as tf.Tensor1D;
  });
  return { stats, layout: { entries } };
}

function nonFinite(e: BatchExpectation, part: string, where: string): never {
  const argument = `${e.what}.${part}`;
  throw new BatchError('ADVTRAIN_NON_FINITE', argument, 'NaN or ±Infinity',
    `${e.pkg}: ${argument} must hold finite numbers (received NaN or ±Infinity${where}). Clean or drop the example before training.`);
}

function invalidValue(e: BatchExpectation, part: string, expected: string, received: string, hint = ''): never {
  const argument = `${e.what}.${part}`;
  throw new BatchError('ADVTRAIN_INVALID_BATCH', argument, received,
    `${e.pkg}: ${argument} must be ${expected} (received ${received}).${hint ? ` ${hint}` : ''}`);
}

/**
 * Throws when the statistics read back show a bad batch: `ADVTRAIN_NON_FINITE`
 * for NaN / ±Infinity, `ADVTRAIN_INVALID_BATCH` for labels out of range or x
 * outside the valid range. `classes` is the number of logits, when known.
 */
export function checkBatchValues(values: ArrayLike<number>, offset: number, layout: StatsLayout, e: BatchExpectation,
  classes: number | null, where = ''): void {
  const v: Partial<Record<StatsLayout['entries'][number], number>> = {};
  layout.entries.forEach((name, i) => { v[name] = values[offset + i] as number; });
  if (v.xFinite !== undefined && !Number.isFinite(v.xFinite)) nonFinite(e, 'x', where);
  if (v.yFinite !== undefined && !Number.isFinite(v.yFinite)) nonFinite(e, 'y', where);
  if (e.site === 'embedding' && v.xMin !== undefined && (v.xMin < 0 || !Number.isFinite(v.xMin))) {
    invalidValue(e, 'x', 'non-negative token ids', `a smallest id of ${v.xMin}`);
  }
  const range = e.site === 'input' ? e.validRange : null;
  if (range && v.xMin !== undefined && v.xMax !== undefined && (v.xMin < range[0] || v.xMax > range[1])) {
    invalidValue(e, 'x', `inside the view's validRange [${range[0]}, ${range[1]}]`, `values from ${v.xMin} to ${v.xMax}`,
      'The threat model assumes clean inputs lie in the valid range; rescale x or fix the view\'s validRange.');
  }
  if (e.labels !== 'classes') return;
  if (v.yFraction !== undefined && v.yFraction !== 0) {
    invalidValue(e, 'y', 'whole-number class indices', 'a label with a fractional part');
  }
  if (v.yMax !== undefined && v.yMin !== undefined && (v.yMin < 0 || (classes !== null && v.yMax >= classes))) {
    invalidValue(e, 'y', `class indices in [0, ${classes === null ? 'C' : classes - 1}]`, `labels from ${v.yMin} to ${v.yMax}`,
      classes !== null && v.yMax >= classes ? `The model has ${classes} outputs.` : '');
  }
  if (v.yRowSum !== undefined && v.yMin !== undefined && (v.yMin < 0 || v.yRowSum > 1e-3)) {
    invalidValue(e, 'y', 'one-hot or soft labels: non-negative rows that sum to 1',
      v.yMin < 0 ? `a smallest entry of ${v.yMin}` : `a row whose sum is off by ${v.yRowSum}`);
  }
}
