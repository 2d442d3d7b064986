import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { prepareBackend, simdStatusOf } from './index.js';
import { heapMemoryOf, isSharedHeap } from './kernels/simd/module.js';

/** A fixed training-shaped workload: two strided convs, a dense layer large enough to split, and the gradients of all of them. */
async function workload(): Promise<Float32Array[]> {
  const det = (shape: number[], seed: number): tf.Tensor => {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let s = seed >>> 0;
    for (let i = 0; i < v.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = (s / 2 ** 32) * 2 - 1; }
    return tf.tensor(v, shape);
  };
  const [x, w1, w2, w3] = [det([64, 28, 28, 1], 1), det([4, 4, 1, 16], 2), det([4, 4, 16, 32], 3), det([7 * 7 * 32, 100], 4)];
  const grads = tf.grads((xs: tf.Tensor, k1: tf.Tensor, k2: tf.Tensor, d: tf.Tensor) => {
    const h = tf.relu(tf.conv2d(tf.relu(tf.conv2d(xs as tf.Tensor4D, k1 as tf.Tensor4D, 2, 'same')), k2 as tf.Tensor4D, 2, 'same'));
    return tf.sum(tf.square(tf.matMul(tf.reshape(h, [64, -1]), d as tf.Tensor2D)));
  });
  const out = grads([x, w1, w2, w3]);
  const values = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...out, x, w1, w2, w3]);
  return values;
}

describe('prepareBackend("wasm", { threads })', () => {
  it('rejects a threads value that is not a positive integer, naming it', async () => {
    for (const [value, shown] of [[0, '0'], [1.5, '1.5'], ['2', '"2"'], [-1, '-1']] as const) {
      await expect(prepareBackend('wasm', { threads: value as number })).rejects.toThrow(
        `@advtrain/backends: option "threads" must be a positive integer, the number of threads of the wasm backend (received ${shown}).`);
    }
  });

  it('rejects threads for a backend other than wasm, and XNNPACK threads beyond them', async () => {
    await expect(prepareBackend('cpu', { threads: 2 })).rejects.toThrow(
      '@advtrain/backends: option "threads" sets up the wasm backend; backend "cpu" takes none (received threads: 2).');
    await expect(prepareBackend('wasm', { threads: 2, xnnpackThreads: 0 })).rejects.toThrow(
      `@advtrain/backends: option "xnnpackThreads" must be a positive integer, the threads of XNNPACK's pool (received 0).`);
    await expect(prepareBackend('wasm', { threads: 2, xnnpackThreads: 3 })).rejects.toThrow(
      '@advtrain/backends: option "xnnpackThreads" must be at most "threads" (received xnnpackThreads: 3 with threads: 2).');
  });

  it('runs the threaded build on a shared heap with the SIMD kernels, and gives the single-threaded numbers bit for bit', async () => {
    const two = await prepareBackend('wasm', { threads: 2 });
    expect(two.threads).toBe(2);
    expect(two.device).toBe('WebAssembly CPU (SIMD on, 2 threads (XNNPACK 1), advtrain SIMD kernels on)');
    expect(two.xnnpackThreads).toBe(1);
    const threadedBackend = tf.engine().backend;
    expect(isSharedHeap(heapMemoryOf(threadedBackend)!)).toBe(true);
    expect(simdStatusOf(threadedBackend)).toEqual({ loaded: true });
    const threaded = await workload();

    const both = await prepareBackend('wasm', { threads: 2, xnnpackThreads: 2 }); // XNNPACK's pool too
    expect(both.device).toBe('WebAssembly CPU (SIMD on, 2 threads (XNNPACK 2), advtrain SIMD kernels on)');
    expect(tf.engine().backend).not.toBe(threadedBackend);
    const xnnpackThreaded = await workload();

    const one = await prepareBackend('wasm', { threads: 1 }); // re-creates the backend single-threaded
    expect(one.threads).toBe(1);
    expect(one.device).toBe('WebAssembly CPU (SIMD on, 1 thread, advtrain SIMD kernels on)');
    expect(tf.engine().backend).not.toBe(threadedBackend);
    expect(isSharedHeap(heapMemoryOf(tf.engine().backend)!)).toBe(false);
    const single = await workload();
    // XNNPACK splits outputs, not sums, over its pool, and our kernels split rows of y and dW, images of dx and
    // rows of products.
    expect(threaded).toEqual(single);
    expect(xnnpackThreaded).toEqual(single);
  });

  it('defaults to one thread per core', async () => {
    const prepared = await prepareBackend('wasm');
    expect(prepared.threads).toBe(availableParallelism());
    expect(prepared.device).toContain(`${availableParallelism()} thread`);
  });
});
