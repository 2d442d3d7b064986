import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, describeValue, mixSeed, type Batch } from '@advtrain/core';

export const PKG = '@advtrain/train';

/**
 * Minibatches of one epoch for `fit`, made by the caller: called once per
 * epoch with its index, it returns an array, an iterable or an async iterable
 * of batches. The caller owns the batch tensors.
 */
export type BatchSource = (epoch: number) => Iterable<Batch> | AsyncIterable<Batch>;

/** An in-memory dataset: every example's inputs, labels and optional token mask, first axis = examples. */
export interface Dataset {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  readonly mask?: tf.Tensor;
}

function invalid(message: string): AdvtrainError {
  return new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT', `${PKG}: ${message}`);
}

/** Checks a dataset and returns its size: non-empty, and x, y (and mask) agree on the number of examples. */
export function checkDataset(data: Dataset, name = 'dataset'): number {
  if (!data || typeof data !== 'object' || !(data.x instanceof tf.Tensor) || !(data.y instanceof tf.Tensor)) {
    throw invalid(`${name} must be an object { x, y } of tensors (received ${describeValue(data)}).`);
  }
  const n = data.x.shape[0] ?? 0;
  if (data.x.rank === 0 || n === 0) throw invalid(`${name} is empty (received x as ${describeValue(data.x)}).`);
  if (data.y.shape[0] !== n) {
    throw invalid(`${name}.y must hold one label per example of ${name}.x (${n}), received ${describeValue(data.y)}.`);
  }
  if (data.mask && (data.mask.shape[0] !== n || data.mask.shape[1] !== data.x.shape[1])) {
    throw invalid(`${name}.mask must have the shape of ${name}.x [${data.x.shape.slice(0, 2).join(', ')}], received ${describeValue(data.mask)}.`);
  }
  return n;
}

/** A permutation of 0..n−1 from (seed, epoch): Fisher–Yates on a splitmix stream, identical on every platform. */
export function shuffledIndices(n: number, seed: number, epoch: number): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  const base = mixSeed(seed, 0x51ed + epoch);
  for (let i = n - 1; i > 0; i--) {
    const j = mixSeed(base, i) % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/** How a dataset is cut into minibatches. */
export interface BatchOptions {
  readonly batchSize: number;
  /** Seed of the shuffling; the same (seed, epoch) gives the same batches. Default 0. */
  readonly seed?: number;
  /** Shuffle each epoch. Default true. */
  readonly shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. Default false. */
  readonly dropRemainder?: boolean;
}

/**
 * Deterministic minibatches of one epoch. Each batch is freed when the
 * consumer asks for the next one (or leaves the loop).
 */
export function* epochBatches(data: Dataset, epoch: number, options: BatchOptions): Generator<Batch> {
  const n = checkDataset(data);
  const { batchSize, seed = 0, shuffle = true, dropRemainder = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(`option "batchSize" must be an integer >= 1 (received ${describeValue(batchSize)}).`);
  const order = shuffle ? shuffledIndices(n, seed, epoch) : Int32Array.from({ length: n }, (_, i) => i);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    if (size < batchSize && dropRemainder) return;
    const idx = tf.tensor1d(order.subarray(start, start + size), 'int32');
    const take = (t: tf.Tensor) => tf.gather(t, idx);
    const batch: Batch = { x: take(data.x), y: take(data.y), ...(data.mask ? { mask: take(data.mask) } : {}) };
    idx.dispose();
    try {
      yield batch;
    } finally {
      tf.dispose([batch.x, batch.y, ...(batch.mask ? [batch.mask] : [])]);
    }
  }
}

/** Number of batches per epoch. */
export function batchesPerEpoch(n: number, options: BatchOptions): number {
  return options.dropRemainder ? Math.floor(n / options.batchSize) : Math.ceil(n / options.batchSize);
}

/** The batches `fit` cuts from a dataset, as a `BatchSource` (e.g. to filter or wrap them). */
export function batchSource(data: Dataset, options: BatchOptions): BatchSource {
  checkDataset(data);
  return (epoch) => epochBatches(data, epoch, options);
}

/** Reads a file for a dataset loader; a missing or unreadable path gives a clear, package-prefixed error. */
export async function readDataFile(path: string, what = 'dataset file'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw invalid(`cannot read ${what} ${JSON.stringify(path)} (${err.code ?? 'error'}: ${err.message}).`);
  }
}
