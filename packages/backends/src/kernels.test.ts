import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { backend_util } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  prepareBackend, registerWasmTrainingKernels, type Conv2dBackpropFilterMode, type Conv2dBackpropInputMode,
} from './index.js';
import { signViaSaturation } from './kernels/Sign.js';
import { mergeAxes } from './kernels/Tile.js';
import type { WasmBackendLike } from './kernels/wasm-ops.js';
import { cpuReferenceVsWasm, cpuVsWasm, runOn, seeded } from './test-support/parity.js';
import { TEST_THREADS } from './test-support/threads.js';

type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;
type Pair = [number, number];

beforeAll(async () => {
  const prepared = await prepareBackend('wasm', { threads: TEST_THREADS });
  expect(prepared.kernelsPatched).toEqual(expect.arrayContaining([
    'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'UnsortedSegmentSum',
    'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'BatchMatMul',
  ]));
});

const t4 = (shape: number[], seed: number, offset = 0) => tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed, 1, offset), shape);
const x4 = (shape: number[], seed: number) => t4(shape, seed) as tf.Tensor4D;

interface ConvCase { x: [number, number, number, number]; k: Pair; cout: number; strides: Pair; pad: Pad }
const convCases: ConvCase[] = [
  { x: [1, 7, 6, 1], k: [3, 3], cout: 1, strides: [1, 1], pad: 'same' },
  { x: [2, 9, 8, 3], k: [3, 2], cout: 4, strides: [2, 2], pad: 'same' },
  { x: [3, 8, 7, 2], k: [4, 4], cout: 3, strides: [2, 2], pad: 'valid' },
  { x: [2, 7, 7, 2], k: [3, 3], cout: 2, strides: [2, 2], pad: 1 },
  { x: [2, 6, 9, 2], k: [2, 3], cout: 3, strides: [1, 2], pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
  { x: [2, 10, 11, 3], k: [4, 4], cout: 2, strides: [3, 3], pad: 'same' },
  { x: [1, 5, 5, 2], k: [5, 5], cout: 2, strides: [1, 1], pad: 'valid' },
  // The MNIST net's layers, at batch 2.
  { x: [2, 28, 28, 1], k: [4, 4], cout: 4, strides: [2, 2], pad: 'same' },
  { x: [2, 14, 14, 4], k: [4, 4], cout: 5, strides: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  // Padding wider than the filter (dy rows that reach no input), uneven strides, odd sizes.
  { x: [2, 5, 6, 2], k: [2, 2], cout: 3, strides: [3, 2], pad: [[0, 0], [3, 4], [0, 5], [0, 0]] },
  { x: [1, 9, 4, 3], k: [5, 3], cout: 1, strides: [3, 1], pad: 'valid' },
  { x: [3, 11, 13, 1], k: [3, 5], cout: 2, strides: [2, 3], pad: 'same' },
  // C_in ≥ 8 with sizes divisible by the stride: sub-pixel runs one conv per phase group.
  { x: [2, 14, 14, 8], k: [4, 4], cout: 5, strides: [2, 2], pad: 'same' },
  { x: [2, 10, 12, 9], k: [3, 3], cout: 4, strides: [2, 2], pad: 'same' },
  { x: [1, 12, 9, 8], k: [5, 2], cout: 3, strides: [3, 1], pad: [[0, 0], [2, 1], [0, 1], [0, 0]] },
  { x: [2, 8, 8, 8], k: [2, 2], cout: 3, strides: [2, 2], pad: 'valid' },
  { x: [1, 9, 12, 8], k: [3, 4], cout: 2, strides: [3, 4], pad: [[0, 0], [4, 0], [0, 3], [0, 0]] },
  // SIMD kernels (simd.test.ts says which path each takes): the MNIST layers at full width, C_out with
  // 16- and 4-wide tiles, odd C_in, C_in with 16- and 4-wide spans, filter-row spans, odd batches,
  // padding wider than the filter.
  { x: [3, 28, 28, 1], k: [4, 4], cout: 16, strides: [2, 2], pad: 'same' },
  { x: [3, 14, 14, 16], k: [4, 4], cout: 32, strides: [2, 2], pad: 'same' },
  { x: [2, 9, 8, 3], k: [3, 3], cout: 20, strides: [2, 2], pad: 'same' },
  { x: [1, 7, 9, 5], k: [2, 3], cout: 12, strides: [1, 2], pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  { x: [3, 10, 9, 20], k: [3, 3], cout: 8, strides: [2, 1], pad: 'valid' },
  { x: [2, 8, 10, 2], k: [3, 2], cout: 4, strides: [2, 2], pad: [[0, 0], [4, 5], [3, 1], [0, 0]] },
  { x: [3, 11, 7, 4], k: [5, 5], cout: 3, strides: [3, 2], pad: 'same' },
  { x: [2, 12, 11, 1], k: [6, 4], cout: 8, strides: [2, 1], pad: 'same' },
  { x: [1, 9, 9, 2], k: [5, 2], cout: 5, strides: [1, 2], pad: 'valid' },
  // Filter rows padded to a multiple of 4 lanes: SmallCNN's first layer, an RGB 3×3, 5-wide rows.
  { x: [3, 28, 28, 1], k: [3, 3], cout: 32, strides: [1, 1], pad: 'valid' },
  { x: [2, 12, 10, 3], k: [3, 3], cout: 8, strides: [1, 1], pad: 'same' },
  { x: [1, 11, 13, 1], k: [5, 5], cout: 4, strides: [2, 3], pad: 'same' },
];
const DX_MODES: Conv2dBackpropInputMode[] = ['simd', 'sub-pixel', 'conv2d'];
const DW_MODES: Conv2dBackpropFilterMode[] = ['simd', 'conv2d'];
const label = (c: { x: number[]; k: number[]; strides: number[]; pad: Pad }) =>
  `x=[${c.x}] k=${c.k.join('x')} s=${c.strides.join(',')} pad=${JSON.stringify(c.pad)}`;

describe('Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput on wasm equal cpu', () => {
  for (const c of convCases) {
    const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.cout];
    const info = backend_util.computeConv2DInfo(c.x, filterShape, c.strides, 1, c.pad);
    // C_out a multiple of 4 takes the SIMD gathered conv, other C_out XNNPACK's.
    it(`y ${label(c)}`, () => cpuVsWasm(() => tf.conv2d(x4(c.x, 5), x4(filterShape, 6), c.strides, c.pad as never)));
    for (const mode of DW_MODES) {
      it(`dW (${mode}) ${label(c)}`, async () => {
        registerWasmTrainingKernels({ conv2dBackpropFilter: mode });
        try {
          await cpuVsWasm(() => tf.engine().runKernel('Conv2DBackpropFilter',
            { x: t4(c.x, 1), dy: t4(info.outShape, 2) },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape } as never) as tf.Tensor);
        } finally {
          registerWasmTrainingKernels();
        }
      });
    }
    for (const mode of DX_MODES) {
      it(`dx (${mode}) ${label(c)}`, async () => {
        registerWasmTrainingKernels({ conv2dBackpropInput: mode });
        try {
          await cpuVsWasm(() => tf.engine().runKernel('Conv2DBackpropInput',
            { dy: t4(info.outShape, 3), filter: t4(filterShape, 4) },
            { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as never) as tf.Tensor);
        } finally {
          registerWasmTrainingKernels();
        }
      });
    }
  }
  it('y with dilations (XNNPACK) and with SmallCNN\'s 3×3 layers at batch 3 (SIMD)', () => cpuVsWasm(() => [
    tf.conv2d(x4([2, 9, 9, 4], 10), x4([3, 3, 4, 8], 11), 1, 'same', 'NHWC', 2),
    tf.conv2d(x4([3, 26, 26, 32], 12), x4([3, 3, 32, 32], 13), 1, 'valid'),
    tf.conv2d(x4([3, 10, 10, 64], 14), x4([3, 3, 64, 64], 15), 1, 'valid'),
  ]));
  it('tf.grad of conv2d (both inputs) matches', () => cpuVsWasm(() => {
    const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x, w, 2, 'same'), t4([2, 4, 4, 3], 9)));
    return tf.grads(f as never)([t4([2, 7, 8, 2], 7), t4([3, 3, 2, 3], 8)]);
  }));
});

interface DwCase { x: [number, number, number, number]; k: Pair; mult: number; strides: Pair; dilations: Pair; pad: Pad }
const dwCases: DwCase[] = [
  { x: [1, 6, 7, 1], k: [3, 3], mult: 1, strides: [1, 1], dilations: [1, 1], pad: 'same' },
  { x: [2, 9, 8, 3], k: [3, 3], mult: 2, strides: [2, 2], dilations: [1, 1], pad: 'same' },
  { x: [2, 8, 7, 2], k: [2, 3], mult: 3, strides: [2, 1], dilations: [1, 1], pad: 'valid' },
  { x: [3, 9, 9, 2], k: [3, 3], mult: 1, strides: [1, 1], dilations: [2, 2], pad: 'same' },
  { x: [2, 7, 7, 2], k: [3, 3], mult: 2, strides: [2, 2], dilations: [1, 1], pad: 1 },
];

/** A dilated filter equals a dense one with zeros between its taps (cpu's backprops ignore dilations). */
function denseFilter(filter: tf.Tensor4D, [dh, dw]: Pair): tf.Tensor4D {
  const [kh, kw, c, m] = filter.shape;
  const spread = tf.pad(tf.reshape(filter, [kh, 1, kw, 1, c, m]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  return tf.slice(tf.reshape(spread, [kh * dh, kw * dw, c, m]), 0, [(kh - 1) * dh + 1, (kw - 1) * dw + 1, c, m]) as tf.Tensor4D;
}

describe('Depthwise backprops on wasm equal cpu', () => {
  for (const c of dwCases) {
    const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.mult];
    const info = backend_util.computeConv2DInfo(c.x, filterShape, c.strides, c.dilations, c.pad, undefined, true);
    const [dh, dw] = c.dilations;
    const dense: [number, number, number, number] = [(c.k[0] - 1) * dh + 1, (c.k[1] - 1) * dw + 1, c.x[3], c.mult];
    const name = `${label(c)} m=${c.mult} d=${c.dilations.join(',')}`;
    const dW = (dilations: Pair, shape: number[]) => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter',
      { x: t4(c.x, 11), dy: t4(info.outShape, 12) },
      { strides: c.strides, dilations, pad: c.pad, filterShape: shape } as never) as tf.Tensor;
    const dX = (dilations: Pair, filter: tf.Tensor) => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput',
      { dy: t4(info.outShape, 13), filter },
      { strides: c.strides, dilations, pad: c.pad, inputShape: c.x } as never) as tf.Tensor;
    it(`dW ${name}`, () => cpuReferenceVsWasm(
      () => tf.stridedSlice(dW([1, 1], dense), [0, 0, 0, 0], dense, [dh, dw, 1, 1]),
      () => dW(c.dilations, filterShape)));
    it(`dx ${name}`, () => cpuReferenceVsWasm(
      () => dX([1, 1], denseFilter(t4(filterShape, 14) as tf.Tensor4D, c.dilations)),
      () => dX(c.dilations, t4(filterShape, 14))));
  }
  it('tf.grads of depthwiseConv2d match', () => cpuVsWasm(() => {
    const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.square(tf.depthwiseConv2d(x, w, 2, 'same')));
    return tf.grads(f as never)([t4([2, 7, 6, 3], 15), t4([3, 3, 3, 2], 16)]);
  }));
});

describe('MaxPoolGrad on wasm equals cpu', () => {
  const cases: Array<{ x: [number, number, number, number]; size: number; strides: number; pad: Pad; offset: number }> = [
    { x: [2, 6, 6, 3], size: 2, strides: 2, pad: 'valid', offset: -2 },
    { x: [1, 7, 5, 2], size: 3, strides: 2, pad: 'same', offset: -1 },
    { x: [2, 5, 5, 1], size: 3, strides: 1, pad: 'valid', offset: 0 },
    { x: [1, 8, 8, 4], size: 2, strides: 2, pad: 'same', offset: -5 },
    // C a multiple of 4: the SIMD kernel (non-overlapping, overlapping, padded, odd sizes).
    { x: [3, 9, 7, 8], size: 2, strides: 2, pad: 'valid', offset: -0.5 },
    { x: [2, 7, 9, 12], size: 3, strides: 2, pad: 'same', offset: 0.2 },
    { x: [1, 6, 6, 4], size: 3, strides: 1, pad: 'same', offset: -3 },
  ];
  for (const c of cases) {
    it(`x=[${c.x}] size=${c.size} s=${c.strides} pad=${c.pad} mean=${c.offset}`, () => cpuVsWasm(() => {
      const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, c.size, c.strides, c.pad as 'same'), 1.5));
      return tf.grad(f)(t4(c.x, 21, c.offset));
    }));
  }
  // The SIMD kernel (C = 4); the shifted tfjs kernel, used without the module, picks another position on ties.
  it('ties go to the first position of the window, as on cpu', () => cpuVsWasm(() => {
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 1, 'valid'), t4([2, 3, 3, 4], 22)));
    // Values in {0, 1, 2}: most windows hold their max more than once, and windows overlap.
    return tf.grad(f)(tf.round(tf.mul(tf.add(t4([2, 4, 4, 4], 23), 1), 1)));
  }));
});

describe('UnsortedSegmentSum on wasm equals cpu', () => {
  it('float rows with repeated ids', () => cpuVsWasm(() =>
    tf.unsortedSegmentSum(t4([9, 4], 31), tf.tensor1d([0, 3, 3, 1, 0, 5, 3, 2, 0], 'int32'), 6)));
  it('rank-3 values', () => cpuVsWasm(() =>
    tf.unsortedSegmentSum(t4([5, 2, 3], 32), tf.tensor1d([4, 0, 4, 1, 1], 'int32'), 5)));
  it('ids outside [0, numSegments) are dropped', () => cpuVsWasm(() =>
    tf.unsortedSegmentSum(t4([6, 3], 33), tf.tensor1d([0, -1, 2, 7, 2, 1], 'int32'), 4)));
  it('int32 values', () => cpuVsWasm(() =>
    tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 3)));
  it('gather gradient (embedding lookup)', () => cpuVsWasm(() => {
    const ids = tf.tensor2d([[1, 4, 4], [0, 9, 1]], [2, 3], 'int32');
    return tf.grad((table: tf.Tensor) => tf.sum(tf.square(tf.gather(table, ids))))(t4([10, 4], 34));
  }));
});

describe('BatchMatMul with transposed operands on wasm equals cpu', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`rank 2, transposeA=${ta} transposeB=${tb}`, () => cpuVsWasm(() =>
      tf.matMul(t4(ta ? [7, 5] : [5, 7], 41), t4(tb ? [3, 7] : [7, 3], 42), ta, tb)));
    it(`rank 3 batch 2, transposeA=${ta} transposeB=${tb}`, () => cpuVsWasm(() =>
      tf.matMul(t4(ta ? [2, 6, 4] : [2, 4, 6], 43), t4(tb ? [2, 5, 6] : [2, 6, 5], 44), ta, tb)));
  }
  it('dense-layer gradients', () => cpuVsWasm(() =>
    tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, w))))([t4([6, 9], 45), t4([9, 4], 46)])));
  // Aᵀ·B with N a multiple of 4 takes the SIMD kernel (16- and 4-wide tiles, odd M).
  it('transposeA with N = 20, odd M, rank 2 and rank 3', () => cpuVsWasm(() => [
    tf.matMul(t4([11, 7], 47), t4([11, 20], 48), true, false),
    tf.matMul(t4([3, 9, 5], 49), t4([3, 9, 36], 50), true, false),
  ]));
  it('the MNIST dense layer\'s weight gradient', () => cpuVsWasm(() =>
    tf.matMul(t4([100, 1568], 51), t4([100, 100], 52), true, false)));
  // Large enough for the SIMD product to split over threads (where the project runs several).
  it('the MNIST dense layer\'s forward and input gradient, odd M, rank 3, N not a multiple of 4', () => cpuVsWasm(() => [
    tf.matMul(t4([100, 1568], 53), t4([1568, 100], 54)),
    tf.matMul(t4([100, 100], 55), t4([1568, 100], 56), false, true),
    tf.matMul(t4([65, 700], 57), t4([700, 52], 58)),
    tf.matMul(t4([2, 33, 800], 59), t4([2, 800, 96], 60)),
    tf.matMul(t4([100, 1600], 61), t4([1600, 10], 62)),
    tf.matMul(t4([2, 33, 96], 63), t4([2, 40, 96], 64), false, true),
    tf.matMul(t4([7, 12], 65), t4([20, 12], 66), false, true),
  ]));
});

describe('Identity and Cast on wasm equal cpu', () => {
  it('clone and same-dtype cast share the buffer and stay valid after the source is freed', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor([1.5, -2, 3]);
    const copy = tf.clone(x);
    const same = tf.cast(x, 'float32');
    const ints = tf.cast(x, 'int32');
    x.dispose();
    expect(Array.from(await copy.data())).toEqual([1.5, -2, 3]);
    expect(Array.from(await same.data())).toEqual([1.5, -2, 3]);
    expect(Array.from(await ints.data())).toEqual([1, -2, 3]);
    tf.dispose([copy, same, ints]);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('tf.grad through clone and cast matches', () => cpuVsWasm(() =>
    tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.cast(tf.clone(tf.relu(x)), 'float32'), tf.sign(t4([4, 5], 43)))))(t4([4, 5], 42))));
});

describe('GatherV2 on wasm equals cpu', () => {
  const ids = (values: number[], shape = [values.length]) => tf.tensor(values, shape, 'int32');
  it('embedding rows, 2-D ids (the fast GatherNd path)', () => cpuVsWasm(() =>
    tf.gather(t4([10, 4], 51), ids([1, 4, 4, 0, 9, 1], [2, 3]))));
  it('rank-3 table along axis 0, repeated and scalar ids', () => cpuVsWasm(() =>
    [tf.gather(t4([5, 2, 3], 52), ids([4, 0, 4])), tf.gather(t4([5, 2, 3], 52), tf.scalar(3, 'int32'))]));
  it('inner axis (original kernel)', () => cpuVsWasm(() => tf.gather(t4([3, 6, 2], 53), ids([5, 0, 2]), 1)));
  it('negative axis and batchDims (original kernel)', () => cpuVsWasm(() =>
    [tf.gather(t4([3, 4], 54), ids([3, 1]), -1), tf.gather(t4([2, 5, 3], 55), ids([4, 0, 1, 1], [2, 2]), 1, 1)]));
  it('int32 and bool tables', () => cpuVsWasm(() =>
    [tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), ids([2, 2, 0])),
      tf.cast(tf.gather(tf.tensor1d([1, 0, 1], 'bool'), ids([1, 2])), 'float32')]));
  it('an index outside the table throws the tfjs message and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const table = t4([4, 2], 56);
    const [over, under] = [ids([1, 4]), ids([-1])];
    expect(() => tf.gather(table, over)).toThrow('GatherV2: the index value 4 is not in [0, 3]');
    expect(() => tf.gather(table, under)).toThrow('GatherV2: the index value -1 is not in [0, 3]');
    tf.dispose([table, over, under]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Transpose on wasm equals cpu', () => {
  it('identity and size-1 permutations share the buffer; real ones still move data', () => cpuVsWasm(() => {
    const x = t4([3, 1, 4, 2], 61);
    return [tf.transpose(x, [0, 1, 2, 3]), tf.transpose(x, [1, 0, 2, 3]), tf.transpose(x, [0, 2, 1, 3]),
      tf.transpose(x, [2, 1, 0, 3]), tf.transpose(x, [3, 2, 1, 0]), tf.transpose(t4([5, 3], 62))];
  }));
  it('a shared transpose stays valid after its source is freed', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [1, 6]);
    const y = tf.transpose(x);
    x.dispose();
    expect(y.shape).toEqual([6, 1]);
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
  });
  it('the gather gradient (identity transposes) matches', () => cpuVsWasm(() =>
    tf.grad((table: tf.Tensor) => tf.sum(tf.mul(tf.gather(table, tf.tensor1d([2, 0, 2], 'int32')), t4([3, 4], 64))))(t4([4, 4], 63))));
});

describe('Sum and Mean on wasm equal cpu', () => {
  const cases: [number[], number | number[], boolean][] = [
    [[64, 128, 32], 1, false], // mean pool over tokens
    [[6, 5, 4, 3], [0, 1, 2], false], // a conv bias gradient
    [[6, 5, 4, 3], [1, 2], true],
    [[7, 9], 0, true],
    [[4, 5, 6], [-2], false],
    [[4, 5, 6], [0, 2], false], // not contiguous: original kernel
    [[4, 5, 6], 2, true], // last axis: original kernel
    [[4, 5, 6], [0, 1, 2], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    it(`shape [${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`, () => cpuVsWasm(() => {
      const x = t4(shape, 71, 0.3);
      return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
    }));
  }
  it('int32 sums stay exact (original kernel)', () => cpuVsWasm(() =>
    tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32'), 1)));
  it('gradients through a masked mean pool match', () => cpuVsWasm(() =>
    tf.grad((e: tf.Tensor) => tf.sum(tf.square(tf.mean(tf.mul(e, t4([3, 4, 1], 73)), 1))))(t4([3, 4, 5], 72))));
});

describe('Sign on wasm equals cpu', () => {
  it('zeros, denormals, huge values, infinities and a random tensor', () => cpuVsWasm(() => [
    tf.sign(tf.tensor1d([0, -0, 1e-45, -1e-45, 1.2e-38, -3e-39, 3.4e38, -3.4e38, -Infinity, Infinity, 5, -2, 0.5])),
    tf.sign(t4([4, 5, 6], 91)),
  ], 0));
  it('int32 keeps the original kernel', () => cpuVsWasm(() => tf.sign(tf.tensor1d([-3, 0, 7], 'int32')), 0));
  it('NaN gives 0, as on cpu (the SIMD kernel)', () => cpuVsWasm(() => tf.sign(tf.tensor1d([NaN, 1, -0, NaN, -2])), 0));
  it('without the SIMD module (clip(x·2^75·2^75)), NaN gives -1 (documented) and the rest equals cpu', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as WasmBackendLike;
    const x = tf.tensor1d([NaN, 1, -0, 1e-45, -3e-39, -Infinity, 0.5]);
    const s = tf.engine().makeTensorFromTensorInfo(signViaSaturation({ inputs: { x }, backend }));
    expect(Array.from(await s.data())).toEqual([-1, 1, -0, 1, -1, -1, 1]);
    tf.dispose([x, s]);
  });
});

describe('Tile on wasm equals cpu', () => {
  it('NaN, -0 and ±Infinity are copied exactly', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([NaN, -0, Infinity, -Infinity], [2, 2]);
    const y = tf.tile(x, [1, 2]);
    expect(Array.from(await y.data())).toEqual([NaN, -0, NaN, -0, Infinity, -Infinity, Infinity, -Infinity]);
    expect(Object.is((await y.data())[1], -0)).toBe(true);
    tf.dispose([x, y]);
  });
  it('float32 of rank 1 to 3', () => cpuVsWasm(() => [
    tf.tile(t4([4], 100), [3]),
    tf.tile(t4([2, 3], 101), [2, 1]),
    tf.tile(t4([2, 1, 3], 102), [1, 4, 2]),
    tf.tile(t4([1, 2, 2], 103), [3, 2, 1]),
  ], 0));
  it('one element of any dtype becomes a fill (tf.broadcastTo, tf.where with a scalar condition)', () => cpuVsWasm(() => [
    tf.broadcastTo(tf.scalar(2.5), [3, 4, 2]),
    tf.tile(tf.tensor3d([7], [1, 1, 1], 'int32'), [2, 3, 1]),
    tf.cast(tf.broadcastTo(tf.scalar(true, 'bool'), [2, 3]), 'float32'),
    tf.where(tf.scalar(false, 'bool'), t4([2, 3], 104), tf.zeros([2, 3])),
  ], 0));
  it('rank 4 and above merge axes: a per-example mask broadcast to images, as PGD\'s early stop does', () => cpuVsWasm(() => [
    tf.tile(t4([3, 1, 1, 1], 107), [1, 5, 4, 1]),
    tf.tile(t4([2, 3, 1, 1, 2], 108), [2, 1, 3, 2, 1]),
    tf.where(tf.tensor4d([true, false, true], [3, 1, 1, 1], 'bool'), t4([3, 4, 4, 2], 109), tf.zeros([3, 4, 4, 2])),
    tf.cast(tf.tile(tf.tensor4d([true, false], [2, 1, 1, 1], 'bool'), [1, 3, 3, 1]), 'float32'),
  ], 0));
  it('axes that cannot merge beyond rank 3, and int32, keep the original kernel', () => cpuVsWasm(() => [
    tf.tile(t4([2, 1, 2, 1], 105), [1, 2, 1, 3]),
    tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 2]),
  ], 0));
  it('mergeAxes keeps the tiling and drops what does not tile', () => {
    expect(mergeAxes([100, 1, 1, 1], [1, 28, 28, 1])).toEqual({ shape: [100, 1], reps: [1, 784] });
    expect(mergeAxes([2, 3, 1, 1, 2], [2, 1, 3, 2, 1])).toEqual({ shape: [2, 3, 1, 2], reps: [2, 1, 6, 1] });
    expect(mergeAxes([2, 1, 2, 1], [1, 2, 1, 3])).toEqual({ shape: [2, 1, 2, 1], reps: [1, 2, 1, 3] });
    expect(mergeAxes([4, 5], [1, 1])).toEqual({ shape: [20], reps: [1] });
  });
  it('gradient of tile matches', () => cpuVsWasm(() =>
    tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.tile(x, [3, 2]))))(t4([2, 3], 106))));
});
