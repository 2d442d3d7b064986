import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Deterministic values in [-scale, scale) + offset (LCG), so cpu and wasm get identical inputs. */
export function seeded(size: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale + offset;
  }
  return out;
}

export interface Result {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** Runs `fn` on `backend`, downloads its outputs and checks that no tensor leaked. */
export async function runOn(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const results: Result[] = [];
  for (const t of list) results.push({ shape: t.shape.slice(), values: (await t.data()) as Float32Array });
  tf.dispose(list);
  expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  return results;
}

/** Expects equal shapes and values within float32 tolerance relative to the reference's scale. */
export function expectClose(actual: Result[], expected: Result[], rtol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, k) => {
    const e = expected[k]!;
    expect(a.shape).toEqual(e.shape);
    let scale = 1;
    for (const v of e.values) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (let i = 0; i < e.values.length; i++) worst = Math.max(worst, Math.abs(a.values[i]! - e.values[i]!));
    expect(worst, `max |diff| for output ${k}`).toBeLessThanOrEqual(rtol * scale);
  });
}

/** Runs the same function on cpu and on wasm and expects equal results. */
export async function cpuVsWasm(fn: () => tf.Tensor | tf.Tensor[], rtol = 1e-4): Promise<void> {
  await cpuReferenceVsWasm(fn, fn, rtol);
}

/** Like cpuVsWasm, but the cpu side computes the same quantity another way. */
export async function cpuReferenceVsWasm(
  reference: () => tf.Tensor | tf.Tensor[], fn: () => tf.Tensor | tf.Tensor[], rtol = 1e-4): Promise<void> {
  const cpu = await runOn('cpu', reference);
  const wasm = await runOn('wasm', fn);
  expectClose(wasm, cpu, rtol);
}
