import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearFixture } from '@advtrain/core/testing';
import type { Batch } from '@advtrain/core';
import { cleanAccuracy, robustAccuracy } from './index.js';

const INPUTS = 6;
const CLASSES = 3;

/** Generated eval data: NaN / ±Infinity at any position of x or y, label forms, row counts, whole set or minibatches. */
const dataSpec = fc.record({
  b: fc.integer({ min: 1, max: 6 }),
  pixels: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 36, maxLength: 36 }),
  xPoison: fc.option(fc.record({ at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity) }), { freq: 2 }),
  yKind: fc.constantFrom('indices', 'indices', 'one-hot', 'column', 'extra-row', 'rank-3'),
  yPoison: fc.option(fc.record({ at: fc.nat(), value: fc.constantFrom(NaN, Infinity) }), { freq: 4 }),
  iterable: fc.boolean(),
  batchSize: fc.integer({ min: 2, max: 6 }),
  attack: fc.constantFrom(false, false, false, true),
});

describe('eval: generated bad data', () => {
  it('each data set is evaluated or refused with an AdvtrainError code; nothing is left in tf.memory()', async () => {
    const f = linearFixture({ inputs: INPUTS, classes: CLASSES });
    let refused = 0;
    let evaluated = 0;
    await fc.assert(fc.asyncProperty(dataSpec, async (s) => {
      const memory = tf.memory();
      const n = s.b * INPUTS;
      const px = Array.from({ length: n }, (_, i) => s.pixels[i % s.pixels.length] as number);
      if (s.xPoison) px[s.xPoison.at % n] = s.xPoison.value;
      const x = tf.tensor2d(px, [s.b, INPUTS]);
      const rows = s.yKind === 'extra-row' ? s.b + 1 : s.b;
      const idx = Array.from({ length: rows }, (_, i) => i % CLASSES);
      let y: tf.Tensor;
      let yNonFinite = false;
      if (s.yKind === 'one-hot') {
        const m = idx.map((k) => Array.from({ length: CLASSES }, (_, j) => Number(j === k)));
        if (s.yPoison) { (m[s.yPoison.at % rows] as number[])[0] = s.yPoison.value; yNonFinite = true; }
        y = tf.tensor2d(m, [rows, CLASSES]);
      } else if (s.yKind === 'column') y = tf.tensor2d(idx, [rows, 1], 'int32');
      else if (s.yKind === 'rank-3') y = tf.zeros([rows, CLASSES, 1]);
      else y = tf.tensor1d(idx, 'int32');
      const batch: Batch = { x, y };
      const data = s.iterable ? [batch] : batch;
      const shapeOk = s.yKind === 'indices' || s.yKind === 'one-hot';
      const expected = !shapeOk ? /ADVTRAIN_INVALID_(BATCH|ARGUMENT)/ : s.xPoison || yNonFinite ? /ADVTRAIN_NON_FINITE/ : null;
      try {
        const result = s.attack
          ? await robustAccuracy(f.view, data, { epsilon: 0.1, steps: 1 }, { batchSize: s.batchSize })
          : await cleanAccuracy(f.view, data, { batchSize: s.batchSize });
        expect(expected).toBeNull();
        expect(result.total).toBe(s.b);
        evaluated += 1;
      } catch (e) {
        if (expected === null) throw e;
        expect((e as { code?: string }).code).toMatch(expected);
        expect((e as Error).message).toMatch(/^@advtrain\/eval: data\.[xy] must/);
        refused += 1;
      } finally {
        tf.dispose([x, y]);
      }
      expect(tf.memory().numTensors).toBe(memory.numTensors);
    }), { numRuns: 500 });
    expect(refused).toBeGreaterThan(100);
    expect(evaluated).toBeGreaterThan(50);
    f.dispose();
  }, 600_000);
});
