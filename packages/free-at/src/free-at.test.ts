import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  PassCounter, Trainer, clean, createStepContext, epochsForOptimizerSteps, functionModel, probe,
  type Batch, type GradMap, type StepContext, type TensorJSON, type TrainerCheckpoint,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, embeddingFixture, expectClose, expectIdentical, formulaValues, mlpFixture, values,
  type Fixture,
} from '@advtrain/core/testing';
import { currentBackend, skipReason } from '@advtrain/test-config/skip-list';
import { FREE_AT_MNIST_PRESET, FREE_AT_NLP_PRESET, freeAt, freeAtNlp, type FreeAtState } from './index.js';

const INVALID: Array<[object, string]> = [[{ replays: 0 }, 'replays'], [{ epsilon: -1 }, 'epsilon'],
  [{ stepSize: -0.1 }, 'stepSize'], [{ replays: 1.5 }, 'replays']];
describe('conformance (image)', () => {
  for (const c of conformanceCases(freeAt, {
    options: { replays: 2, epsilon: 0.1 },
    valid: [{}, FREE_AT_MNIST_PRESET, { replays: 1, epsilon: 0 }, { stepSize: 0.01 }],
    invalid: [...INVALID, [{ variant: 'nlp' }, 'variant'], [{ initMagnitude: 0.1 }, 'initMagnitude']],
  })) it(c.name, c.run);
});
describe('conformance (nlp)', () => {
  for (const c of conformanceCases(freeAtNlp, {
    options: FREE_AT_NLP_PRESET, fixture: 'embedding',
    valid: [{}, FREE_AT_NLP_PRESET, { replays: 1, epsilon: 0 }, { stepSize: 0.01 }],
    invalid: [...INVALID, [{ initMagnitude: -1 }, 'initMagnitude']],
  })) it(c.name, c.run);
});
it('freeAt names freeAtNlp when given the options of the NLP variant', () => {
  expect(() => freeAt({ variant: 'nlp' } as object)).toThrow(/freeAtNlp/);
});

/** Conv net on [B, 8, 8, 1]: conv 3×3×4 'same' + ReLU, then dense to 3 classes. */
function convFixture(batchSize = 5): Fixture {
  const v = (shape: number[], seed: number, scale: number) =>
    tf.variable(tf.tensor(formulaValues(shape.reduce((a, b) => a * b, 1), seed, scale), shape));
  const vars = [v([3, 3, 1, 4], 11, 0.5), v([4], 12, 0.1), v([256, 3], 13, 0.2), v([3], 14, 0.1)] as const;
  const [k, kb, w, b] = vars;
  const view = functionModel({
    variables: [...vars], validRange: [0, 1],
    forward: (x) => tf.add(tf.matMul(tf.reshape(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), kb)), [-1, 256]), w), b),
  });
  const batch = (i = 0, size = batchSize): Batch => ({
    x: tf.tensor(formulaValues(size * 64, 40 + i, 0.5).map((a) => a + 0.5), [size, 8, 8, 1]),
    y: tf.tensor1d(Array.from({ length: size }, (_, r) => (r + i) % 3), 'int32'),
  });
  return { view, variables: [...vars], batch, dispose: () => vars.forEach((x) => x.dispose()) };
}

const FIXTURES: Array<[string, (batchSize?: number) => Fixture]> = [
  ['mlp', (batchSize) => mlpFixture(batchSize ? { batchSize } : {})], ['conv net', convFixture],
];
/** Minibatch i with `size` rows (two fixture batches stacked, then cut). */
const sized = (f: Fixture, i: number, size: number): Batch => {
  const [a, b] = [f.batch(i), f.batch(i + 1)];
  const part = { x: tf.slice(tf.concat([a.x, b.x]), 0, size), y: tf.slice(tf.concat([a.y, b.y]), 0, size) };
  disposeBatch(a); disposeBatch(b);
  return part;
};

/** Drives the lifecycle by hand, exposing Δ at the start and end of each minibatch. */
function manual(options: object, fixture: Fixture, optimizer: tf.Optimizer) {
  const s = freeAt(options);
  let state = s.init({ view: fixture.view, seed: 7 });
  let index = 0;
  return {
    async step(batch: Batch, before?: (ctx: StepContext, delta: tf.Tensor) => Promise<void>) {
      const passes = new PassCounter();
      const ctx = createStepContext({ view: fixture.view, batch, passes, step: index++,
        applyGradients: (g) => { optimizer.applyGradients(g); passes.record('optimizerSteps'); } });
      const inner = s.innerMax(ctx, state);
      const read = await values(inner.delta as tf.Tensor);
      await before?.(ctx, inner.delta as tf.Tensor);
      const outer = s.outerMin(ctx, inner);
      const loss = (await outer.loss.data())[0] as number;
      outer.loss.dispose();
      state = outer.state;
      return { read, loss, passes: ctx.passes.snapshot(), buffer: await values(state.buffer as tf.Tensor), shape: (state.buffer as tf.Tensor).shape };
    },
    get state(): FreeAtState { return state; },
    dispose: () => s.dispose(state),
  };
}

const itOn = (name: string, fn: () => Promise<void>) => {
  const reason = skipReason(currentBackend(), `free-at ${name}`);
  (reason ? it.skip : it)(reason ? `${name} (skipped: ${reason})` : name, fn);
};

for (const [label, make] of FIXTURES) {
  describe(`free-at oracles on the ${label}`, () => {
    itOn(`oracle 1 (${label}): ‖Δ‖∞ ≤ ε after every replay, and updated coordinates follow sign(g)`, async () => {
      const eps = 0.05;
      const f = make();
      const run = manual({ replays: 1, epsilon: eps }, f, tf.train.sgd(0.2));
      const batch = f.batch(0);
      for (let r = 0; r < 4; r++) { // replays of one minibatch, seen one at a time
        let g: Float32Array = new Float32Array();
        const { read, buffer } = await run.step(batch, async (ctx, delta) => {
          const p = probe({ ...ctx, passes: new PassCounter() }, { delta, wrtDelta: true, clampInput: true });
          g = await values(p.deltaGrad as tf.Tensor);
          tf.dispose([p.loss, p.deltaGrad as tf.Tensor]);
        });
        let moved = 0;
        buffer.forEach((d, i) => {
          expect(Math.abs(d)).toBeLessThanOrEqual(Math.fround(eps));
          const gi = g[i] as number;
          if (gi !== 0) {
            expect(d === 0 || Math.sign(d) === Math.sign(gi)).toBe(true);
            if (d !== read[i]) moved += 1;
          }
        });
        expect(moved).toBeGreaterThan(0);
      }
      disposeBatch(batch); run.dispose(); f.dispose();
    });

    itOn(`oracle 1 (${label}): m replays equal m single-replay steps on the same minibatch`, async () => {
      const finals: Float32Array[][] = [];
      for (const [replays, calls] of [[3, 1], [1, 3]] as const) {
        const f = make();
        const run = manual({ replays, epsilon: 0.05 }, f, tf.train.momentum(0.1, 0.9));
        const batch = f.batch(0);
        let buffer: Float32Array = new Float32Array();
        for (let c = 0; c < calls; c++) buffer = (await run.step(batch)).buffer;
        finals.push([buffer, ...(await Promise.all(f.variables.map((v) => values(v))))]);
        disposeBatch(batch); run.dispose(); f.dispose();
      }
      for (let i = 0; i < (finals[0] as Float32Array[]).length; i++) await expectIdentical(finals[0]![i]!, finals[1]![i]!, `tensor ${i}`);
    });

    itOn(`oracle 2 (${label}): m optimizer steps and m full passes per minibatch; ceil(E/m) epochs give E natural epochs' steps`, async () => {
      const f = make();
      const optimizer = tf.train.sgd(0.05);
      const strategy = freeAt({ replays: 3 });
      const trainer = new Trainer(strategy, { view: f.view, optimizer, seed: 3 });
      const epochs = epochsForOptimizerSteps(5, strategy.capabilities.optimizerStepsPerBatch);
      let steps = 0;
      for (let epoch = 0; epoch < epochs; epoch++) {
        for (const batch of [f.batch(0), f.batch(1)]) {
          const report = await trainer.trainStep(batch);
          expect(report.passes).toEqual({ forward: 3, backward: 3, layerOneForward: 0, layerOneBackward: 0, optimizerSteps: 3 });
          steps += report.passes.optimizerSteps;
          disposeBatch(batch);
        }
      }
      expect(epochs).toBe(2);
      expect(steps).toBe(2 * 2 * 3);
      expect(epochsForOptimizerSteps(90, 4)).toBe(23);
      trainer.dispose(); optimizer.dispose(); f.dispose();
    });

    itOn(`oracle 3 (${label}): Δ persists across minibatches; partial batches use the first b rows; the buffer grows`, async () => {
      const f = make(5);
      const run = manual({ replays: 2, epsilon: 0.05 }, f, tf.train.sgd(0.1));
      const sizes = [5, 5, 3, 5, 7];
      let previous: Float32Array | null = null;
      let rows = 0;
      const per = (f.view.siteShape(f.batch(0)) as number[]).slice(1).reduce((a, b) => a * b, 1);
      for (let k = 0; k < sizes.length; k++) {
        const b = sizes[k] as number;
        const batch = sized(f, k, b);
        const { read, buffer, shape } = await run.step(batch);
        if (previous) {
          await expectIdentical(read.subarray(0, Math.min(b, rows) * per), previous.subarray(0, Math.min(b, rows) * per), `Δ read at batch ${k}`);
          if (b < rows) await expectIdentical(buffer.subarray(b * per), previous.subarray(b * per), 'rows beyond a partial batch');
          if (b > rows) expect(Array.from(read.subarray(rows * per)).every((v) => v === 0)).toBe(true);
        }
        rows = Math.max(rows, b);
        expect(shape[0]).toBe(rows);
        previous = buffer;
        disposeBatch(batch);
      }
      run.dispose(); f.dispose();
    });

    itOn(`oracle 3 (${label}): an interrupted seeded run with Adam resumes bit-identically`, async () => {
      const run = async (interruptAt: number | null) => {
        let f = make();
        let trainer = new Trainer(freeAt({ replays: 2, epsilon: 0.05 }), { view: f.view, optimizer: tf.train.adam(0.01), seed: 11 });
        for (let k = 0; k < 5; k++) {
          if (k === interruptAt) {
            const cp = JSON.parse(JSON.stringify(await trainer.checkpoint())) as TrainerCheckpoint;
            trainer.dispose(); trainer.setup.optimizer.dispose(); f.dispose();
            f = make();
            trainer = new Trainer(freeAt({ replays: 2, epsilon: 0.05 }), { view: f.view, optimizer: tf.train.adam(0.01), seed: 11 });
            await trainer.restore(cp);
          }
          const batch = f.batch(k % 3);
          await trainer.trainStep(batch);
          disposeBatch(batch);
        }
        const cp = await trainer.checkpoint();
        const out = [...(await Promise.all(f.variables.map((v) => values(v)))),
          Float32Array.from((cp.strategy.data as { buffer: TensorJSON }).buffer.values)];
        trainer.dispose(); trainer.setup.optimizer.dispose(); f.dispose();
        return out;
      };
      const straight = await run(null);
      const resumed = await run(2);
      for (let i = 0; i < straight.length; i++) await expectIdentical(resumed[i]!, straight[i]!, i === straight.length - 1 ? 'Δ buffer' : `variable ${i}`);
    });

    itOn(`oracle 4 (${label}): replays = 1, ε = 0 equals natural training bit-for-bit`, async () => {
      const train = async (strategy: ReturnType<typeof clean> | ReturnType<typeof freeAt>) => {
        const f = make();
        const trainer = new Trainer(strategy, { view: f.view, optimizer: tf.train.momentum(0.1, 0.9), seed: 5 });
        for (let k = 0; k < 3; k++) {
          const batch = f.batch(k);
          await trainer.trainStep(batch);
          disposeBatch(batch);
        }
        const out = await Promise.all(f.variables.map((v) => values(v)));
        trainer.dispose(); trainer.setup.optimizer.dispose(); f.dispose();
        return out;
      };
      const a = await train(freeAt({ replays: 1, epsilon: 0 }));
      const b = await train(clean());
      for (let i = 0; i < a.length; i++) await expectIdentical(a[i]!, b[i]!, `variable ${i}`);
    });
  });
}

describe('freeAtNlp', () => {
  it('divides the loss by 1 + steps, keeps pads at zero and does not carry δ', async () => {
    const f = embeddingFixture();
    const batch = f.batch(0);
    const applied: GradMap[] = [];
    const s = freeAtNlp({ replays: 1, initMagnitude: 0 });
    const ctx = createStepContext({ view: f.view, batch,
      applyGradients: (g) => { applied.push(Object.fromEntries(Object.entries(g).map(([k, t]) => [k, tf.keep(tf.clone(t))]))); } });
    const inner = s.innerMax(ctx, s.init({ view: f.view, seed: 1 }));
    const outer = s.outerMin(ctx, inner);
    expect(Object.keys(outer.state)).toEqual(['rng']);
    const reference = probe({ ...ctx, passes: new PassCounter() }, { wrtParams: true });
    for (const v of f.variables) await expectClose(applied[0]![v.name]!, tf.mul(reference.paramGrads![v.name]!, 0.5), undefined, v.name);
    const s2 = freeAtNlp(FREE_AT_NLP_PRESET);
    const init = s2.innerMax(ctx, s2.init({ view: f.view, seed: 1 }));
    const mask = await values(f.view.siteMask(batch) as tf.Tensor);
    const d = await values(init.delta as tf.Tensor);
    const hidden = d.length / mask.length;
    d.forEach((v, i) => { if (mask[Math.floor(i / hidden)] === 0) expect(Math.abs(v)).toBe(0); });
    expect(d.some((v) => v !== 0)).toBe(true);
    tf.dispose([reference.loss, ...Object.values(reference.paramGrads!), ...applied.flatMap((g) => Object.values(g)), init.delta as tf.Tensor]);
    outer.loss.dispose(); s2.dispose(init.state); disposeBatch(batch); f.dispose();
  });
});

describe('clampBuffer (Wong et al.\'s train_free.py)', () => {
  /** x + Δ per element of batch `i` after one minibatch with `clampBuffer`. */
  async function inputs(clampBuffer: boolean) {
    const f = convFixture();
    const run = manual({ replays: 3, epsilon: 0.3, clampBuffer }, f, tf.train.sgd(0.1));
    const batch = f.batch(0);
    const { buffer } = await run.step(batch);
    const x = await values(batch.x);
    disposeBatch(batch); run.dispose(); f.dispose();
    return { buffer, sums: Array.from(x, (v, i) => v + (buffer[i] as number)) };
  }
  itOn('keeps x + Δ in the valid range of the batch Δ was made on; without it Δ leaves the range', async () => {
    const clamped = await inputs(true);
    for (const [i, v] of clamped.sums.entries()) {
      expect(v).toBeGreaterThanOrEqual(-1e-6);
      expect(v).toBeLessThanOrEqual(1 + 1e-6);
      // clamp(x + Δ) − x rounds: Δ may exceed ε by an ulp of x.
      expect(Math.abs(clamped.buffer[i] as number)).toBeLessThanOrEqual(0.3 + 1e-6);
    }
    const free = await inputs(false);
    expect(free.sums.filter((v) => v < -1e-6 || v > 1 + 1e-6).length).toBeGreaterThan(0);
  });
  itOn('feeds the next batch x + Δ unclamped on its first replay', async () => {
    const f = convFixture();
    const run = manual({ replays: 1, epsilon: 0.3, clampBuffer: true }, f, tf.train.sgd(0));
    const [a, b] = [f.batch(0), f.batch(1)];
    await run.step(a);
    const expected: number[] = [];
    const { loss } = await run.step(b, async (ctx, delta) => {
      for (const clampInput of [false, true]) {
        const p = probe({ ...ctx, passes: new PassCounter() }, { delta, clampInput });
        expected.push((await p.loss.data())[0] as number);
        p.loss.dispose();
      }
    });
    expect(loss).toBeCloseTo(expected[0] as number, 5);
    expect(Math.abs((expected[0] as number) - (expected[1] as number))).toBeGreaterThan(1e-4);
    disposeBatch(a); disposeBatch(b); run.dispose(); f.dispose();
  });
});

describe('FREE_AT_MNIST_PRESET', () => {
  it('replays each minibatch 8 times with a buffer step of ε = 0.3, clamping Δ to the valid range', () => {
    const s = freeAt(FREE_AT_MNIST_PRESET);
    expect(s.options).toMatchObject({ replays: 8, epsilon: 0.3, stepSize: null, clampBuffer: true });
    expect(s.capabilities.optimizerStepsPerBatch).toBe(8);
    expect(s.capabilities.threat).toEqual({ norm: 'linf', epsilon: 0.3 });
  });
});
