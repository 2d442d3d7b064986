import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clean } from './clean.js';
import { Trainer } from './trainer.js';
import { disposeBatch, linearFixture, values } from './testing/index.js';

const INPUTS = 6;
const CLASSES = 3;

type YKind = 'indices' | 'float-indices' | 'one-hot' | 'soft' | 'column' | 'extra-row' | 'wrong-classes' | 'rank-3' | 'bool';

/** A generated batch: mostly small deviations from a valid one, so refusals and successes both occur often. */
const batchSpec = fc.record({
  b: fc.integer({ min: 1, max: 4 }),
  cols: fc.constantFrom(INPUTS, INPUTS, INPUTS, INPUTS - 1, INPUTS + 2),
  extraAxis: fc.constantFrom(false, false, false, true),
  xDtype: fc.constantFrom('float32', 'float32', 'float32', 'int32', 'bool'),
  pixels: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: 32, maxLength: 32 }),
  poison: fc.option(fc.record({ at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity, 1.5, -0.25) }), { freq: 2 }),
  yKind: fc.constantFrom<YKind>('indices', 'indices', 'float-indices', 'one-hot', 'soft', 'column', 'extra-row', 'wrong-classes', 'rank-3', 'bool'),
  labels: fc.array(fc.integer({ min: 0, max: CLASSES - 1 }), { minLength: 5, maxLength: 5 }),
  badLabel: fc.option(fc.record({ at: fc.nat(), value: fc.constantFrom(-1, CLASSES, CLASSES + 4, 0.5, NaN, Infinity) }), { freq: 3 }),
});
type Spec = typeof batchSpec extends fc.Arbitrary<infer T> ? T : never;

/** Half the cases are forced to a valid batch (with any valid label form), so trained steps interleave with refusals. */
const mixedSpec = fc.tuple(batchSpec, fc.boolean(), fc.constantFrom<YKind>('indices', 'float-indices', 'one-hot', 'soft'))
  .map(([s, valid, yKind]): Spec => (valid ? { ...s, cols: INPUTS, extraAxis: false, xDtype: 'float32', poison: null, yKind, badLabel: null } : s));

/** Builds the tensors of a spec and says what the trainer must answer: null (trains) or the error code. */
function build(s: Spec): { x: tf.Tensor; y: tf.Tensor; expected: null | 'ADVTRAIN_INVALID_BATCH' | 'ADVTRAIN_NON_FINITE' } {
  const { b } = s;
  const xShape = s.extraAxis ? [b, s.cols, 1] : [b, s.cols];
  const n = b * s.cols;
  const px = Array.from({ length: n }, (_, i) => s.pixels[i % s.pixels.length] as number);
  const floatX = s.xDtype === 'float32';
  if (s.poison && floatX) px[s.poison.at % n] = s.poison.value;
  const x = s.xDtype === 'bool' ? tf.tensor(px.map((v) => v > 0.5), xShape, 'bool')
    : tf.tensor(s.xDtype === 'int32' ? px.map((v) => Math.round(v)) : px, xShape, s.xDtype as 'float32' | 'int32');
  const rows = s.yKind === 'extra-row' ? b + 1 : b;
  const idx = Array.from({ length: rows }, (_, i) => s.labels[i % s.labels.length] as number);
  const bad = s.badLabel && (s.yKind === 'indices' || s.yKind === 'float-indices' || s.yKind === 'one-hot' || s.yKind === 'soft') ? s.badLabel : null;
  let y: tf.Tensor;
  let labelValues: 'ok' | 'non-finite' | 'invalid' = 'ok';
  if (s.yKind === 'indices' || s.yKind === 'float-indices' || s.yKind === 'extra-row') {
    const int = s.yKind !== 'float-indices';
    if (bad && !(int && !Number.isInteger(bad.value))) {
      idx[bad.at % rows] = bad.value;
      labelValues = Number.isFinite(bad.value) ? 'invalid' : 'non-finite';
    }
    if (int && bad && !Number.isInteger(bad.value)) labelValues = 'ok';
    y = tf.tensor1d(idx, int ? 'int32' : 'float32');
  } else if (s.yKind === 'one-hot' || s.yKind === 'soft' || s.yKind === 'wrong-classes') {
    const c = s.yKind === 'wrong-classes' ? CLASSES + 1 : CLASSES;
    const m = idx.map((k) => Array.from({ length: c }, (_, j) => (s.yKind === 'soft' ? (j === k ? 0.8 : 0.2 / (c - 1)) : Number(j === k))));
    if (bad) {
      const row = m[bad.at % rows] as number[];
      row[0] = bad.value;
      // A bad entry breaks the row (negative, not summing to 1, or not finite) unless it happens to keep it valid.
      const sum = row.reduce((a, v) => a + v, 0);
      labelValues = !Number.isFinite(bad.value) ? 'non-finite' : bad.value < 0 || Math.abs(sum - 1) > 1e-3 ? 'invalid' : 'ok';
    }
    y = tf.tensor2d(m, [rows, c]);
  } else if (s.yKind === 'column') {
    y = tf.tensor2d(idx, [rows, 1], 'int32');
  } else if (s.yKind === 'rank-3') {
    y = tf.zeros([rows, CLASSES, 1]);
  } else {
    y = tf.tensor1d(idx.map((v) => v > 0), 'bool');
  }
  const shapeOk = s.cols === INPUTS && !s.extraAxis && s.xDtype !== 'bool'
    && ['indices', 'float-indices', 'one-hot', 'soft'].includes(s.yKind);
  if (!shapeOk) return { x, y, expected: 'ADVTRAIN_INVALID_BATCH' };
  const xNonFinite = floatX && s.poison !== null && !Number.isFinite(s.poison.value);
  if (xNonFinite || labelValues === 'non-finite') return { x, y, expected: 'ADVTRAIN_NON_FINITE' };
  const xOutside = floatX && s.poison !== null && (s.poison.value < 0 || s.poison.value > 1);
  if (xOutside || labelValues === 'invalid') return { x, y, expected: 'ADVTRAIN_INVALID_BATCH' };
  return { x, y, expected: null };
}

describe('Trainer: generated bad batches', () => {
  it('each batch trains or throws an AdvtrainError with a code; a refusal changes neither weights nor tf.memory()', async () => {
    const f = linearFixture({ inputs: INPUTS, classes: CLASSES });
    const optimizer = tf.train.momentum(0.05, 0.9);
    const trainer = new Trainer(clean(), { view: f.view, optimizer });
    const warm = f.batch(0);
    await trainer.trainStep(warm); // the momentum slots exist from here on
    disposeBatch(warm);
    let trained = 0;
    let refused = 0;
    await fc.assert(fc.asyncProperty(mixedSpec, async (s) => {
      const memory = tf.memory();
      const { x, y, expected } = build(s);
      const weights = await Promise.all(f.variables.map((v) => values(v)));
      const step = trainer.step;
      try {
        await trainer.trainStep({ x, y });
        expect(expected).toBeNull();
        expect(trainer.step).toBe(step + 1);
        trained += 1;
      } catch (e) {
        expect(e).toMatchObject({ code: expected ?? 'no error expected' });
        expect((e as Error).message).toMatch(/^@advtrain\/core: (batch\.[xy] must|step \d+ produced)/);
        const after = await Promise.all(f.variables.map((v) => values(v)));
        after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(weights[i] as Float32Array)));
        expect(trainer.step).toBe(step);
        refused += 1;
      } finally {
        tf.dispose([x, y]);
      }
      expect(tf.memory().numTensors).toBe(memory.numTensors);
      expect(tf.memory().numBytes).toBe(memory.numBytes);
    }), { numRuns: 500 });
    expect(trained).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(200);
    trainer.dispose();
    optimizer.dispose();
    f.dispose();
  });
});
