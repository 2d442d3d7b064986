import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from '../index.js';
import { broadcastBinarySimd, planBroadcast } from './simd/broadcast.js';
import { runOn, seeded } from '../test-support/parity.js';
import { TEST_THREADS } from '../test-support/threads.js';

beforeAll(async () => {
  const prepared = await prepareBackend('wasm', { threads: TEST_THREADS });
  expect(prepared.kernelsPatched).toEqual(expect.arrayContaining(['Add', 'Sub', 'Multiply']));
});

describe('planBroadcast', () => {
  it('finds the run of axes the small operand repeats along, either side, and nothing else', () => {
    const plan = (fullIsA: boolean, outer: number, middle: number, inner: number) => ({ fullIsA, outer, middle, inner });
    expect(planBroadcast([100, 14, 14, 16], [16])).toEqual(plan(true, 1, 19600, 16)); // a bias
    expect(planBroadcast([1, 7], [3, 5, 7])).toEqual(plan(false, 1, 15, 7));
    expect(planBroadcast([64, 128, 32], [64, 128, 1])).toEqual(plan(true, 8192, 32, 1)); // a mask per token
    expect(planBroadcast([4, 1, 1], [4, 5, 3])).toEqual(plan(false, 4, 15, 1));
    expect(planBroadcast([64, 128, 32], [64, 1, 32])).toEqual(plan(true, 64, 128, 32)); // a mean pool's gradient
    expect(planBroadcast([2, 1, 5, 1, 3], [2, 4, 5, 1, 3])).toEqual(plan(false, 2, 4, 15));
    expect(planBroadcast([6, 5], [])).toEqual(plan(true, 1, 30, 1));
    expect(planBroadcast([4, 5, 3], [4, 5, 3])).toBeNull(); // same shape: tfjs's kernel is one pass already
    expect(planBroadcast([1, 4], [4])).toBeNull(); // equal up to axes of size 1
    expect(planBroadcast([2, 1, 3], [1, 4, 1])).toBeNull(); // both operands repeat
    expect(planBroadcast([2, 3, 4, 5], [2, 1, 4, 1])).toBeNull(); // two runs of repeated axes
    expect(planBroadcast([0, 3], [3])).toBeNull();
  });
});

/** Every output value equal to cpu's, bit for bit (one float32 operation per value). */
async function expectSameAsCpu(fn: () => tf.Tensor): Promise<void> {
  const [cpu] = await runOn('cpu', fn);
  const [wasm] = await runOn('wasm', fn);
  expect(wasm!.shape).toEqual(cpu!.shape);
  expect(Array.from(wasm!.values)).toEqual(Array.from(cpu!.values));
}

const t = (shape: number[], seed: number) => tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed, 3), shape);

describe('Add, Sub and Multiply with a repeated operand on wasm equal cpu bit for bit', () => {
  const pairs: [number[], number[]][] = [
    [[3, 5, 5, 16], [16]], [[2, 3, 7], [7]], [[2, 3, 7], [1, 3, 7]], [[4, 6, 5], [4, 6, 1]],
    [[4, 6, 5], [4, 1, 1]], [[5, 9], []], [[16], [3, 4, 16]], [[6, 1, 9], [6, 5, 9]], [[2, 3, 4, 5], [2, 1, 1, 5]],
    [[2, 1, 3], [1, 4, 1]], [[2, 3, 4, 5], [2, 1, 4, 1]], [[4, 3], [4, 3]],
  ];
  for (const [a, b] of pairs) {
    for (const op of ['add', 'sub', 'mul'] as const) {
      it(`[${a}] ${op} [${b}]`, async () => {
        await expectSameAsCpu(() => tf[op](t(a, 1), t(b, 2)));
      });
    }
  }

  it('int32 operands and the other broadcasts keep tfjs-backend-wasm\'s kernel', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const [i, j] = [tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor([5, 6], [2], 'int32')];
    expect(broadcastBinarySimd(backend, i, j, 'add')).toBeUndefined();
    expect(Array.from(await tf.add(i, j).data())).toEqual([6, 8, 8, 10]);
    const [a, b] = [tf.ones([2, 1, 3]), tf.ones([1, 4, 1])];
    expect(broadcastBinarySimd(backend, a, b, 'mul')).toBeUndefined();
    const [c, d] = [tf.ones([4, 3]), tf.ones([4, 3])];
    expect(broadcastBinarySimd(backend, c, d, 'add')).toBeUndefined();
    tf.dispose([i, j, a, b, c, d]);
  });

  it('the SIMD path leaves one new backend buffer (its output) and nothing else', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as { numDataIds(): number; disposeData(id: object): void };
    const [a, b] = [tf.ones([8, 16]), tf.ones([16])];
    const before = backend.numDataIds();
    const out = broadcastBinarySimd(backend, a, b, 'sub');
    expect(out?.shape).toEqual([8, 16]);
    expect(backend.numDataIds()).toBe(before + 1);
    backend.disposeData(out!.dataId);
    tf.dispose([a, b]);
  });
});
