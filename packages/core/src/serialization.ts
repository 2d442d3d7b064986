import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError } from './errors.js';

/** JSON form of a tensor. Values are copied exactly (float32 round-trips through JS numbers). */
export interface TensorJSON {
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32' | 'bool';
  readonly values: number[];
}

/** Reads a tensor asynchronously (safe on WebGPU) into JSON. */
export async function tensorToJSON(t: tf.Tensor): Promise<TensorJSON> {
  const dtype = t.dtype as TensorJSON['dtype'];
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED', `@advtrain/core: cannot serialize a tensor of dtype ${t.dtype}.`);
  }
  return { shape: [...t.shape], dtype, values: Array.from(await t.data() as ArrayLike<number>) };
}

/** Rebuilds a tensor from {@link tensorToJSON}'s output. */
export function tensorFromJSON(json: TensorJSON): tf.Tensor {
  return tf.tensor(json.values, json.shape, json.dtype);
}
