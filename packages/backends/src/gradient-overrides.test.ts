import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from './index.js';
import { registerBackendGradients } from './gradient-overrides.js';
import { clipByValueGradViaMask } from './kernels/ClipByValueGrad.js';
import { reluGradViaStep } from './kernels/ReluGrad.js';
import type { WasmBackendLike } from './kernels/wasm-ops.js';
import { cpuVsWasm, runOn, seeded } from './test-support/parity.js';
import { TEST_THREADS } from './test-support/threads.js';

const t = (shape: number[], seed: number) => tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed), shape);

describe('Sum, Mean and ClipByValue gradients on faster kernels', () => {
  beforeAll(async () => {
    await prepareBackend('wasm', { threads: TEST_THREADS });
  });

  it('are registered by prepareBackend, and registering again replaces nothing', () => {
    expect(tf.getGradient('Sum')!.gradFunc.toString()).toContain('broadcastToInput');
    expect(tf.getGradient('Mean')!.gradFunc.toString()).toContain('broadcastToInput');
    expect(tf.getGradient('ClipByValue')!.gradFunc.toString()).toContain('clipValueMin');
    expect(tf.getGradient('Relu')!.gradFunc.toString()).toContain('RELU_GRAD');
    expect(registerBackendGradients()).toEqual([]);
  });

  it('give the closed forms: d sum(x·w) / dx = w broadcast, d mean / dx = 1/n', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const dSum = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.sum(v, 0), tf.tensor1d([1, 10, 100]))))(x);
    const dMean = tf.grad((v: tf.Tensor) => tf.sum(tf.mean(v, 1)))(x);
    expect(Array.from(await dSum.data())).toEqual([1, 10, 100, 1, 10, 100]);
    expect(Array.from(await dMean.data())).toEqual([1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
    tf.dispose([x, dSum, dMean]);
  });

  for (const [shape, axis, keepDims] of [[[4, 6, 5], 1, false], [[3, 4, 5], [0, 2], true], [[7], 0, false]] as const) {
    it(`wasm equals cpu for shape [${shape}] axis ${JSON.stringify(axis)}`, () => cpuVsWasm(() =>
      tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.add(
        tf.sum(tf.mul(tf.sum(x, axis as number | number[], keepDims), w)),
        tf.sum(tf.square(tf.mean(x, axis as number | number[], keepDims)))))(
        [t([...shape], 81), tf.sum(t([...shape], 82), axis as number | number[], keepDims)])));
  }

  it('ClipByValue passes dy on [lo, hi], boundaries included, and blocks it outside (wasm = cpu = closed form)', async () => {
    const x = () => tf.tensor1d([-0.5, 0, 1e-45, 0.3, 1, 1.0000001, 7, -1e-45]);
    const dy = () => tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    await cpuVsWasm(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, 0, 1), dy())))(x()), 0);
    await tf.setBackend('wasm');
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, 0, 1), dy())))(x());
    expect(Array.from(await g.data())).toEqual([0, 2, 3, 4, 5, 0, 0, 0]);
    g.dispose();
  });

  it('ClipByValue gradient: NaN blocks dy, odd lengths (SIMD tail) equal cpu', () => cpuVsWasm(() =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, -1, 2), tf.tensor1d([1, 2, 3, 4, 5, 6, 7]))))(
      tf.tensor1d([NaN, -1, 2, 2.0000002, -Infinity, 0, NaN])), 0));

  it('without the SIMD module the mask 1 − step(|x − clip(x)|) gives the same gradient', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as WasmBackendLike;
    const x = tf.tensor1d([-0.5, 0, 1e-45, 0.3, 1, 1.0000001, 7, -1e-45, 0.9]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const g = tf.engine().makeTensorFromTensorInfo(
      clipByValueGradViaMask({ inputs: { x, dy }, attrs: { clipValueMin: 0, clipValueMax: 1 }, backend }));
    expect(Array.from(await g.data())).toEqual([0, 2, 3, 4, 5, 0, 0, 0, 9]);
    tf.dispose([x, dy, g]);
  });

  it('Relu gradient dy · step(x) equals cpu value for value: 0, ±0, NaN, ±Infinity in x and dy, odd lengths (SIMD tail)', async () => {
    const grad = () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.tensor1d([1, -2, 3, Infinity, 5, -Infinity, 7, NaN, 9]))))(
      tf.tensor1d([-1, 0, -0, -3, NaN, 2, Infinity, 4, 1e-45]));
    const [cpu] = await runOn('cpu', grad);
    const [wasm] = await runOn('wasm', grad);
    // 0·∞ = NaN and NaN·x = NaN must come out as on cpu, so compare with Object.is (NaN equals NaN).
    expect(Array.from(wasm!.values).map(String)).toEqual(Array.from(cpu!.values).map(String));
    expect(Array.from(cpu!.values).filter(Number.isNaN)).toHaveLength(3);
  });

  it('Relu gradient through a conv layer on an MNIST-shaped batch equals cpu', () => cpuVsWasm(() =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.conv2d(v as tf.Tensor4D, t([3, 3, 2, 8], 85) as tf.Tensor4D, 1, 'same')),
      t([2, 6, 6, 8], 86))))(t([2, 6, 6, 2], 87))));

  it('without the SIMD module the Step and Multiply kernels give the same Relu gradient', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as WasmBackendLike;
    const x = tf.tensor1d([-1, 0, 2, 1e-45, -0.5]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5]);
    const g = tf.engine().makeTensorFromTensorInfo(reluGradViaStep({ inputs: { x, dy }, backend }));
    expect(Array.from(await g.data())).toEqual([0, 0, 3, 4, 0]);
    tf.dispose([x, dy, g]);
  });

  it('ClipByValue gradient on a random MNIST-shaped batch equals cpu', () => cpuVsWasm(() =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, 0, 1), t([2, 6, 6, 1], 84))))(tf.add(t([2, 6, 6, 1], 83), 0.5)), 0));
});
