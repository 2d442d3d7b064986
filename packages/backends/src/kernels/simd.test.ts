import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSimdKernels, prepareBackend, registerWasmTrainingKernels, simdStatusOf } from '../index.js';
import { simdKernelsOf } from './simd/module.js';
import { conv2dFilterGradSimd } from './simd/conv2d-filter-grad.js';
import { conv2dInputGradSimd } from './simd/conv2d-input-grad.js';
import { conv2dForwardSimd, matMulSimd } from './simd/conv2d-forward.js';
import { matMulTransposeASimd } from './simd/mat-mul-transpose-a.js';
import { splitRange } from './simd/pool.js';
import type { WasmBackendLike } from './wasm-ops.js';
// @ts-expect-error: a plain .mjs build script without types.
import { compile, OUTPUT, render } from '../../scripts/build-wasm.mjs';
import { TEST_THREADS } from '../test-support/threads.js';

type Shape = [number, number, number, number];
interface Geometry { x: Shape; k: [number, number]; cout: number; strides: [number, number]; pad: 'same' | 'valid' }

let prepared: Awaited<ReturnType<typeof prepareBackend>>;
beforeAll(async () => {
  prepared = await prepareBackend('wasm', { threads: TEST_THREADS });
});

describe('the WebAssembly SIMD module', () => {
  it('loads onto the wasm backend in Node and says so', () => {
    expect(simdStatusOf(tf.engine().findBackend('wasm'))).toEqual({ loaded: true });
    expect(prepared.device).toContain('advtrain SIMD kernels on');
  });

  it('reports why it cannot load on another backend, and the kernels then decline', async () => {
    const cpu = tf.engine().findBackend('cpu');
    const status = await loadSimdKernels(cpu);
    expect(status.loaded).toBe(false);
    expect(status.loaded === false && status.reason).toMatch(/not tfjs-backend-wasm/);
    const info = tf.backend_util.computeConv2DInfo([1, 4, 4, 4], [2, 2, 4, 4], 1, 1, 'valid');
    const t = { dataId: {}, shape: [1], dtype: 'float32' as const };
    expect(conv2dFilterGradSimd(cpu, t, t, info)).toBeUndefined();
    expect(conv2dInputGradSimd(cpu as unknown as WasmBackendLike, t, t, info)).toBeUndefined();
  });

  it('`registerWasmTrainingKernels({ simd: false })` makes every caller take its XNNPACK path', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const x = tf.tensor1d([NaN, 2]);
    try {
      registerWasmTrainingKernels({ simd: false });
      expect(simdKernelsOf(backend)).toBeUndefined();
      expect(Array.from(await tf.sign(x).data())).toEqual([-1, 1]); // the saturation path
      registerWasmTrainingKernels();
      expect(simdKernelsOf(backend)).toBeDefined();
      expect(Array.from(await tf.sign(x).data())).toEqual([0, 1]);
      expect(() => registerWasmTrainingKernels({ simd: 'yes' as never }))
        .toThrow('option "simd" must be true or false (received "yes")');
    } finally {
      registerWasmTrainingKernels();
      x.dispose();
    }
  });

  it('is what assembly/ compiles to (run `pnpm build:wasm` after editing it)', async () => {
    const committed = await readFile(new URL(`../../${OUTPUT}`, import.meta.url), 'utf8');
    expect(committed).toBe(render(await compile(false), await compile(true)));
  }, 60_000);
});

describe('which conv gradients the SIMD kernels take', () => {
  // dW needs C_out % 4 = 0; dx takes every shape (one tap per span when C_in % 4 = 0, else a filter row).
  const cases: [Geometry, boolean, boolean][] = [
    [{ x: [3, 28, 28, 1], k: [4, 4], cout: 16, strides: [2, 2], pad: 'same' }, true, true],
    [{ x: [3, 14, 14, 16], k: [4, 4], cout: 32, strides: [2, 2], pad: 'same' }, true, true],
    [{ x: [2, 9, 8, 3], k: [3, 3], cout: 20, strides: [2, 2], pad: 'same' }, true, true],
    [{ x: [3, 10, 9, 20], k: [3, 3], cout: 8, strides: [2, 1], pad: 'valid' }, true, true],
    [{ x: [2, 8, 10, 2], k: [3, 2], cout: 4, strides: [2, 2], pad: 'same' }, true, true],
    [{ x: [3, 11, 7, 4], k: [5, 5], cout: 3, strides: [3, 2], pad: 'same' }, false, true],
    [{ x: [2, 12, 11, 1], k: [6, 4], cout: 8, strides: [2, 1], pad: 'same' }, true, true],
    [{ x: [1, 9, 9, 3], k: [3, 3], cout: 6, strides: [1, 1], pad: 'same' }, false, true],
  ];
  for (const [g, dw, dx] of cases) {
    it(`x=[${g.x}] k=${g.k.join('x')} C_out=${g.cout}: dW ${dw ? 'SIMD' : 'XNNPACK'}, dx ${dx ? 'SIMD' : 'XNNPACK'}, no backend buffer left`, async () => {
      await tf.setBackend('wasm');
      const backend = tf.engine().backend as unknown as WasmBackendLike & { numDataIds(): number };
      const filterShape: Shape = [g.k[0], g.k[1], g.x[3], g.cout];
      const info = tf.backend_util.computeConv2DInfo(g.x, filterShape, g.strides, 1, g.pad);
      const x = tf.ones(g.x);
      const dy = tf.ones(info.outShape);
      const w = tf.ones(filterShape);
      const before = backend.numDataIds();
      const gotW = conv2dFilterGradSimd(backend, x, dy, info);
      const gotX = conv2dInputGradSimd(backend, dy, w, info);
      expect(gotW !== undefined).toBe(dw);
      expect(gotX !== undefined).toBe(dx);
      if (gotW !== undefined) expect(gotW.shape).toEqual(filterShape);
      if (gotX !== undefined) expect(gotX.shape).toEqual(g.x);
      expect(backend.numDataIds()).toBe(before + Number(dw) + Number(dx));
      for (const info of [gotW, gotX]) if (info !== undefined) backend.disposeData(info.dataId);
      tf.dispose([x, dy, w]);
    });
  }
});

describe('which convs the SIMD forward kernel takes', () => {
  // C_out % 4 = 0 and no dilation; padding is copied in only where the conv reads it.
  const cases: [Geometry & { dilation?: number }, boolean][] = [
    [{ x: [3, 28, 28, 1], k: [4, 4], cout: 16, strides: [2, 2], pad: 'same' }, true],
    [{ x: [3, 14, 14, 16], k: [4, 4], cout: 32, strides: [2, 2], pad: 'same' }, true],
    [{ x: [2, 12, 12, 8], k: [3, 3], cout: 12, strides: [1, 1], pad: 'valid' }, true],
    [{ x: [2, 9, 8, 3], k: [3, 3], cout: 6, strides: [2, 2], pad: 'same' }, false],
    [{ x: [2, 9, 9, 4], k: [3, 3], cout: 8, strides: [1, 1], pad: 'same', dilation: 2 }, false],
  ];
  for (const [g, simd] of cases) {
    it(`x=[${g.x}] k=${g.k.join('x')} C_out=${g.cout} dilation ${g.dilation ?? 1}: ${simd ? 'SIMD' : 'XNNPACK'}, no backend buffer left`, async () => {
      await tf.setBackend('wasm');
      const backend = tf.engine().backend as unknown as WasmBackendLike & { numDataIds(): number };
      const filterShape: Shape = [g.k[0], g.k[1], g.x[3], g.cout];
      const info = tf.backend_util.computeConv2DInfo(g.x, filterShape, g.strides, g.dilation ?? 1, g.pad);
      const [x, w] = [tf.ones(g.x), tf.ones(filterShape)];
      const before = backend.numDataIds();
      const y = conv2dForwardSimd(backend, x, w, info);
      expect(y !== undefined).toBe(simd);
      if (y !== undefined) {
        expect(y.shape).toEqual(info.outShape);
        backend.disposeData(y.dataId);
      }
      expect(backend.numDataIds()).toBe(before);
      tf.dispose([x, w]);
    });
  }
});

describe('the SIMD forward kernels sum in XNNPACK\'s order', () => {
  // So that seeded training runs give the numbers they gave on XNNPACK, bit for bit.
  it('Conv2D and matMul (A·B, A·Bᵀ) of the MNIST CNN equal XNNPACK\'s exactly', async () => {
    await tf.setBackend('wasm');
    const det = (shape: number[], seed: number): tf.Tensor => tf.randomUniform(shape, -1, 1, 'float32', seed);
    const [x1, w1, x2, w2] = [det([100, 28, 28, 1], 1), det([4, 4, 1, 16], 2), det([100, 14, 14, 16], 3), det([4, 4, 16, 32], 4)];
    const [h, d, dy] = [det([100, 1568], 5), det([1568, 100], 6), det([100, 100], 7)];
    const run = async (simd: boolean) => {
      registerWasmTrainingKernels({ simd });
      const outs = [tf.conv2d(x1 as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'), tf.conv2d(x2 as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same'),
        tf.matMul(h, d), tf.matMul(dy, d, false, true)];
      const values = await Promise.all(outs.map((t) => t.data()));
      tf.dispose(outs);
      return values;
    };
    try {
      const [ours, xnnpack] = [await run(true), await run(false)];
      expect(ours).toEqual(xnnpack);
    } finally {
      registerWasmTrainingKernels();
      tf.dispose([x1, w1, x2, w2, h, d, dy]);
    }
  });
});

describe('which matMuls the SIMD kernel takes', () => {
  const cases: [number[], number[], boolean][] = [
    [[100, 1568], [100, 100], true],
    [[3, 9, 5], [3, 9, 36], true],
    [[11, 7], [11, 10], false], // N not a multiple of 4
    [[1, 9, 5], [3, 9, 8], false], // batch broadcasts
  ];
  for (const [a, b, simd] of cases) {
    it(`A·B, A [${[...a.slice(0, -2), a.at(-1), a.at(-2)]}], B [${b}]: ${simd ? 'SIMD' : 'XNNPACK'}`, async () => {
      await tf.setBackend('wasm');
      const backend = tf.engine().backend;
      const [ta, tb] = [tf.ones([...a.slice(0, -2), a.at(-1)!, a.at(-2)!]), tf.ones(b)];
      const got = matMulSimd(backend, ta, tb);
      expect(got !== undefined).toBe(simd);
      if (got !== undefined) {
        expect(got.shape).toEqual([...a.slice(0, -2), a.at(-1), b.at(-1)]);
        backend.disposeData(got.dataId);
      }
      tf.dispose([ta, tb]);
    });
    it(`Aᵀ·B, A [${a}], B [${b}]: ${simd ? 'SIMD' : 'transpose + XNNPACK'}`, async () => {
      await tf.setBackend('wasm');
      const backend = tf.engine().backend;
      const [ta, tb] = [tf.ones(a), tf.ones(b)];
      const got = matMulTransposeASimd(backend, ta, tb);
      expect(got !== undefined).toBe(simd);
      if (got !== undefined) {
        expect(got.shape).toEqual([...a.slice(0, -2), a.at(-1), b.at(-1)]);
        backend.disposeData(got.dataId);
      }
      tf.dispose([ta, tb]);
    });
  }
});

describe('the SIMD kernels split over threads', () => {
  const det = (shape: number[], seed: number): tf.Tensor => {
    const v = new Float32Array(shape.reduce((p, d) => p * d, 1));
    let s = seed >>> 0;
    for (let i = 0; i < v.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = (s / 2 ** 32) * 2 - 1; }
    return tf.tensor(v, shape);
  };
  /** Runs `compute` with the threads the project gives the module and with one; returns both results. */
  async function bothWays(compute: (backend: WasmBackendLike) => TensorInfo[]): Promise<[Float32Array[], Float32Array[]]> {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend as unknown as WasmBackendLike & { read(dataId: object): Promise<unknown> };
    const simd = simdKernelsOf(backend)!;
    expect(simd.threads).toBe(TEST_THREADS);
    const read = async (infos: TensorInfo[]): Promise<Float32Array[]> => {
      const out = await Promise.all(infos.map(async (i) => (await backend.read(i.dataId)) as Float32Array));
      for (const i of infos) backend.disposeData(i.dataId);
      return out;
    };
    const split = await read(compute(backend));
    simd.threads = 1;
    try {
      return [split, await read(compute(backend))];
    } finally {
      simd.threads = TEST_THREADS;
    }
  }

  it('gives dW and dx bit for bit as one thread does (the MNIST CNN\'s second conv, batch 64)', async () => {
    const info = tf.backend_util.computeConv2DInfo([64, 14, 14, 16], [4, 4, 16, 32], 2, 1, 'same');
    const [x, dy, w] = [det([64, 14, 14, 16], 1), det(info.outShape, 2), det([4, 4, 16, 32], 3)];
    const [split, single] = await bothWays((backend) => [conv2dFilterGradSimd(backend, x, dy, info)!, conv2dInputGradSimd(backend, dy, w, info)!]);
    expect(split).toEqual(single);
    expect(single[0]!.some((v) => v !== 0)).toBe(true);
    tf.dispose([x, dy, w]);
  });

  it('gives y of a conv and A·B bit for bit as one thread does (odd pixel and row counts)', async () => {
    const info = tf.backend_util.computeConv2DInfo([33, 14, 14, 16], [4, 4, 16, 32], 2, 1, 'same');
    const [x, w] = [det([33, 14, 14, 16], 8), det([4, 4, 16, 32], 9)];
    const [a, b] = [det([101, 1568], 10), det([1568, 100], 11)];
    const [split, single] = await bothWays((backend) => [conv2dForwardSimd(backend, x, w, info)!, matMulSimd(backend, a, b)!]);
    expect(split).toEqual(single);
    expect(single[0]!.some((v) => v !== 0)).toBe(true);
    tf.dispose([x, w, a, b]);
  });

  it('gives Aᵀ·B bit for bit as one thread does, and an odd C_in splits on channel pairs', async () => {
    const [a, b] = [det([256, 515], 4), det([256, 64], 5)];
    const odd = tf.backend_util.computeConv2DInfo([33, 20, 20, 3], [3, 3, 3, 16], 1, 1, 'same');
    const [x, dy] = [det([33, 20, 20, 3], 6), det(odd.outShape, 7)];
    const [split, single] = await bothWays((backend) => [matMulTransposeASimd(backend, a, b)!, conv2dFilterGradSimd(backend, x, dy, odd)!]);
    expect(split).toEqual(single);
    tf.dispose([a, b, x, dy]);
  });
});

describe('splitRange', () => {
  it('cuts [0, units) into near-equal contiguous runs, multiples of the step but the last', () => {
    expect(splitRange(10, 2)).toEqual([[0, 5], [5, 10]]);
    expect(splitRange(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(splitRange(7, 2, 2)).toEqual([[0, 4], [4, 7]]);
    expect(splitRange(3, 8)).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(splitRange(1, 4, 2)).toEqual([[0, 1]]);
    expect(splitRange(0, 2)).toEqual([]);
  });
});
