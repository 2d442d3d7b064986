import { prepareBackend, registerWasmTrainingKernels } from '@advtrain/backends';
import {
  FUSED_KERNELS, createRng, maskedUniformInit, normalizedAscent, projectL2, randomNormal, randomUniform, scaledAdd, signAscent,
  sumOfSquares,
} from '@advtrain/core';
import { relativeError, values } from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

/**
 * core's fused δ-update ops on a text model's [B, T, H] perturbation (sizes not a multiple of 4
 * included): wasm runs @advtrain/backends' SIMD kernels, cpu the tfjs compositions. Element-wise
 * results must be equal bit for bit; sums of squares (another order of terms) to float32 rounding.
 */
const SHAPES = [[8, 37, 33], [64, 128, 32]];

type Outputs = Record<string, Float32Array>;

async function compute(shape: number[]): Promise<Outputs> {
  const [d] = randomUniform(createRng(1), shape, -0.2, 0.2);
  const [g0] = randomUniform(createRng(2), shape, -1, 1);
  // Exact zeros in the gradient, and inputs on the clamp's bounds.
  const g = tf.tidy(() => tf.where(tf.less(tf.abs(g0), 0.05), tf.zerosLike(g0), g0));
  const [x0] = randomUniform(createRng(3), shape, -0.2, 1.2);
  const x = tf.clipByValue(x0, 0, 1);
  const mask = tf.tidy(() => tf.cast(tf.less(tf.range(0, shape[1]!), tf.reshape(tf.range(1, shape[0]! + 1), [-1, 1])), 'float32'));
  const norms = sumOfSquares(g);
  const scale = tf.tidy(() => tf.div(0.1, tf.add(tf.sqrt(norms), 1e-10)));
  const before = tf.memory().numTensors;
  const out = {
    uniform: randomUniform(createRng(4), shape, -0.5, 0.25)[0],
    normal: randomNormal(createRng(6), shape, 0, 1e-5)[0],
    init: maskedUniformInit(createRng(5), shape, mask, 0.6)[0],
    sign: signAscent(d, g, 0.05, 0.2, { x, range: [0, 1] }),
    signOpen: signAscent(d, g, 0.05, null),
    sumExample: sumOfSquares(g),
    sumToken: sumOfSquares(g, 'token'),
    scaled: scaledAdd(d, g, scale),
    ascent: normalizedAscent(d, g, 0.1, { norm: 'l2', guard: 1e-10, guardMode: 'add' }),
    ascentToken: normalizedAscent(d, g, 0.1, { norm: 'linf', scope: 'token', guard: 1e-6, guardMode: 'add' }),
    projected: projectL2(d, 0.5),
  };
  expect(tf.memory().numTensors, 'one tensor per op, nothing left behind').toBe(before + Object.keys(out).length);
  const result: Outputs = {};
  for (const [name, t] of Object.entries(out)) result[name] = await values(t);
  tf.dispose([d, g0, g, x0, x, mask, norms, scale, ...Object.values(out)]);
  return result;
}

const EXACT = ['uniform', 'normal', 'init', 'sign', 'signOpen'];

describe('fused δ-update kernels on wasm against the compositions on cpu', () => {
  it('@advtrain/backends registers a wasm kernel under every name core calls, and core\'s gradients for them', async () => {
    await prepareBackend('wasm');
    expect(Object.values(FUSED_KERNELS).filter((name) => tf.getKernel(name, 'wasm') === undefined)).toEqual([]);
    expect([FUSED_KERNELS.sumOfSquares, FUSED_KERNELS.scaledAdd].filter((name) => tf.getGradient(name) === undefined)).toEqual([]);
  });

  for (const shape of SHAPES) {
    it(`[${shape}]: random starts and sign steps bit for bit, reductions and normalised steps to float32 rounding`, async () => {
      await prepareBackend('cpu');
      const reference = await compute(shape);
      await prepareBackend('wasm');
      expect(Object.values(FUSED_KERNELS).every((name) => tf.getKernel(name, 'wasm') !== undefined)).toBe(true);
      const wasm = await compute(shape);
      for (const [name, want] of Object.entries(reference)) {
        const got = wasm[name]!;
        if (EXACT.includes(name)) expect(Array.from(got), name).toEqual(Array.from(want));
        else expect(await relativeError(got, want), name).toBeLessThanOrEqual(1e-6);
      }
    });
  }

  it('simd: false removes the kernels (core composes tfjs ops, same values) and simd: true brings them back', async () => {
    await prepareBackend('wasm');
    const fused = await compute([4, 9, 5]);
    registerWasmTrainingKernels({ simd: false });
    try {
      expect(Object.values(FUSED_KERNELS).map((name) => tf.getKernel(name, 'wasm'))).toEqual(Object.values(FUSED_KERNELS).map(() => undefined));
      const composed = await compute([4, 9, 5]);
      for (const name of EXACT) expect(Array.from(composed[name]!), name).toEqual(Array.from(fused[name]!));
    } finally {
      registerWasmTrainingKernels();
    }
    expect(Object.values(FUSED_KERNELS).every((name) => tf.getKernel(name, 'wasm') !== undefined)).toBe(true);
  });
});
