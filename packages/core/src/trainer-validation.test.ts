import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { clean } from './clean.js';
import type { AnyStrategy } from './contract.js';
import { defineStrategy } from './define-strategy.js';
import type { LossFn } from './losses.js';
import { tensorsIn } from './tensor-tree.js';
import { Trainer } from './trainer.js';
import { layersModelView, type LayersModelLike } from './views/layers-model.js';
import { functionModel } from './views/function-model.js';
import { cleanReplays, disposeBatch, embeddingFixture, linearFixture, mlpFixture, selfSteppingClean, values } from './testing/index.js';

async function snapshot(vars: readonly tf.Tensor[]): Promise<Float32Array[]> {
  return Promise.all(vars.map((v) => values(v)));
}

async function expectSame(vars: readonly tf.Tensor[], before: Float32Array[]): Promise<void> {
  const after = await snapshot(vars);
  after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i] as Float32Array)));
}

/** Optimizer slots as plain numbers (reads asynchronously; frees getWeights()'s iteration scalar). */
async function slots(optimizer: tf.Optimizer): Promise<number[][]> {
  const weights = await optimizer.getWeights();
  const out = await Promise.all(weights.map(async (w) => Array.from(await w.tensor.data() as Float32Array)));
  weights.forEach((w) => { if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose(); });
  return out;
}

/** A tiny tf.layers dense model, as a new user would build it. */
function denseModel(): { model: tfl.LayersModel; dispose(): void } {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 5, activation: 'relu', inputShape: [6], kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  return { model, dispose: () => model.dispose() };
}

const pixels = (b: number, n = 6): tf.Tensor => tf.tensor2d(Array.from({ length: b * n }, (_, i) => (i % 7) / 7), [b, n]);
const labels = (b: number): tf.Tensor => tf.tensor1d(Array.from({ length: b }, (_, i) => i % 3), 'int32');

/**
 * Runs a refused step and checks the promise of a refusal: an AdvtrainError
 * with the code (and text), weights, optimizer slots, step counter and tensor
 * count as before.
 */
async function expectRefused(trainer: Trainer, batch: { x: tf.Tensor; y: tf.Tensor; mask?: tf.Tensor },
  code: string, text: RegExp, vars: readonly tf.Tensor[]): Promise<void> {
  const weights = await snapshot(vars);
  const optimizerSlots = await slots(trainer.setup.optimizer);
  const step = trainer.step;
  const tensors = tf.memory().numTensors;
  await expect(trainer.trainStep(batch)).rejects.toMatchObject({ code, message: expect.stringMatching(text) });
  expect(tf.memory().numTensors).toBe(tensors);
  expect(trainer.step).toBe(step);
  await expectSame(vars, weights);
  expect(await slots(trainer.setup.optimizer)).toEqual(optimizerSlots);
}

describe('Trainer: batches are checked at every step', () => {
  it('refuses each bad batch a new user tries, with a code, and leaves everything as it was', async () => {
    const { model, dispose } = denseModel();
    const view = layersModelView(model, { validRange: [0, 1] });
    const optimizer = tf.train.momentum(0.1, 0.9);
    const trainer = new Trainer(clean(), { view, optimizer });
    const good = { x: pixels(4), y: labels(4) };
    await trainer.trainStep(good); // creates the momentum slots
    const vars = view.variables;
    const nanX = tf.tensor2d([NaN, ...Array.from({ length: 23 }, () => 0.5)], [4, 6]);
    await expectRefused(trainer, { x: nanX, y: good.y }, 'ADVTRAIN_NON_FINITE', /^@advtrain\/core: batch\.x must hold finite numbers/, vars);
    const infX = tf.tensor2d([...Array.from({ length: 23 }, () => 0.5), -Infinity], [4, 6]);
    await expectRefused(trainer, { x: infX, y: good.y }, 'ADVTRAIN_NON_FINITE', /batch\.x/, vars);
    const column = tf.tensor2d([[0], [1], [2], [0]], [4, 1], 'int32');
    await expectRefused(trainer, { x: good.x, y: column }, 'ADVTRAIN_INVALID_BATCH', /batch\.y must be class indices.*received a int32 tensor of shape \[4, 1\].*squeeze/, vars);
    const tooLarge = tf.tensor1d([0, 1, 3, 2], 'int32');
    await expectRefused(trainer, { x: good.x, y: tooLarge }, 'ADVTRAIN_INVALID_BATCH', /batch\.y must be class indices in \[0, 2\] \(received labels from 0 to 3\)/, vars);
    const negative = tf.tensor1d([0, -1, 1, 2], 'int32');
    await expectRefused(trainer, { x: good.x, y: negative }, 'ADVTRAIN_INVALID_BATCH', /batch\.y/, vars);
    const fraction = tf.tensor1d([0, 1.5, 1, 2]);
    await expectRefused(trainer, { x: good.x, y: fraction }, 'ADVTRAIN_INVALID_BATCH', /whole-number class indices/, vars);
    const extraRow = labels(5);
    await expectRefused(trainer, { x: good.x, y: extraRow }, 'ADVTRAIN_INVALID_BATCH', /^@advtrain\/core: batch\.y must be a tensor with 4 rows.*received a int32 tensor of shape \[5\]/, vars);
    const wrongShape = pixels(4, 7);
    await expectRefused(trainer, { x: wrongShape, y: good.y }, 'ADVTRAIN_INVALID_BATCH', /batch\.x must be a tensor of shape \[B, 6\], the model's input \(received a float32 tensor of shape \[4, 7\]\)/, vars);
    const wrongRank = tf.zeros([4, 6, 1]);
    await expectRefused(trainer, { x: wrongRank, y: good.y }, 'ADVTRAIN_INVALID_BATCH', /batch\.x/, vars);
    const outside = tf.tensor2d([2, ...Array.from({ length: 23 }, () => 0.5)], [4, 6]);
    await expectRefused(trainer, { x: outside, y: good.y }, 'ADVTRAIN_INVALID_BATCH', /batch\.x must be inside the view's validRange \[0, 1\] \(received values from 0\.5 to 2\)/, vars);
    const wrongClasses = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4), 'float32');
    await expectRefused(trainer, { x: good.x, y: wrongClasses }, 'ADVTRAIN_INVALID_BATCH', /batch\.y must be one-hot \/ soft labels \[B, 3\]/, vars);
    const notDistribution = tf.tensor2d([[1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]);
    await expectRefused(trainer, { x: good.x, y: notDistribution }, 'ADVTRAIN_INVALID_BATCH', /rows that sum to 1/, vars);
    await expect(trainer.trainStep({ x: good.x } as never)).rejects.toMatchObject({ code: 'ADVTRAIN_INVALID_BATCH', message: expect.stringMatching(/batch\.y must be a tensor \(received undefined\)/) });
    // A good batch still trains afterwards, with the next step index.
    const report = await trainer.trainStep(good);
    expect(report.step).toBe(1);
    expect(Number.isFinite(report.loss)).toBe(true);
    tf.dispose([nanX, infX, column, tooLarge, negative, fraction, extraRow, wrongShape, wrongRank, outside, wrongClasses, notDistribution]);
    disposeBatch(good);
    trainer.dispose();
    optimizer.dispose();
    dispose();
  });

  it('checks one-hot labels, masks, and the example shape learned from the first batch', async () => {
    const f = functionModelWithoutShape();
    const trainer = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.1) });
    const x = pixels(4);
    const soft = tf.tensor2d([[0.8, 0.1, 0.1], [0, 1, 0], [0, 0, 1], [1, 0, 0]]);
    await trainer.trainStep({ x, y: soft });
    const wider = pixels(4, 5);
    await expectRefused(trainer, { x: wider, y: soft }, 'ADVTRAIN_INVALID_BATCH', /batch\.x must be a tensor of shape \[B, 6\]/, f.vars);
    tf.dispose([x, soft, wider]);
    f.dispose();

    const e = embeddingFixture();
    const text = new Trainer(clean(), { view: e.view, optimizer: tf.train.sgd(0.1) });
    const batch = e.batch(0);
    const mask = tf.ones([batch.x.shape[0] as number, 2]);
    await expectRefused(text, { ...batch, mask }, 'ADVTRAIN_INVALID_BATCH', /batch\.mask must be a tensor of the ids' shape \[3, 5\]/, e.variables);
    const negativeIds = tf.mul(batch.x, -1);
    await expectRefused(text, { x: negativeIds, y: batch.y }, 'ADVTRAIN_INVALID_BATCH', /non-negative token ids/, e.variables);
    tf.dispose([mask, negativeIds]);
    disposeBatch(batch);
    e.dispose();
  });

  it("with validation: 'shapes', values are not checked (the non-finite guard still is)", async () => {
    const f = linearFixture();
    const trainer = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.1), validation: 'shapes' });
    const x = tf.fill([4, 6], 2);
    const y = labels(4);
    await trainer.trainStep({ x, y });
    const nan = tf.fill([4, 6], NaN);
    await expectRefused(trainer, { x: nan, y }, 'ADVTRAIN_NON_FINITE', /step 1 produced a non-finite loss/, f.variables);
    tf.dispose([x, y, nan]);
    f.dispose();
  });
});

function functionModelWithoutShape() {
  const w = tf.variable(tf.fill([6, 3], 0.1), true, 'fm_nos/W');
  const view = functionModel({ variables: [w], validRange: [0, 1], forward: (x) => tf.matMul(x, w) });
  return { view, vars: [w], dispose: () => w.dispose() };
}

/** A loss that is NaN while `poisoned.on` is set. */
function poisonableLoss(): { loss: LossFn; poisoned: { on: boolean } } {
  const poisoned = { on: false };
  const base = (logits: tf.Tensor, y: tf.Tensor) => tf.mean(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.cast(y, 'int32'), 3), tf.logSoftmax(logits)), -1)));
  const loss: LossFn = (logits, batch) => tf.tidy(() => {
    const value = base(logits, batch.y);
    return (poisoned.on ? tf.mul(value, NaN) : value) as tf.Scalar;
  });
  return { loss, poisoned };
}

/** Steps the optimizer itself twice per batch (FreeAT's shape) and carries a tensor in its state. */
function selfStepping() {
  return defineStrategy<Record<string, never>, { count: tf.Tensor }>({
    name: 'self-stepping', options: {}, capabilities: selfSteppingClean().capabilities,
    init: () => ({ count: tf.scalar(0) }),
    innerMax: (_ctx, state) => ({ delta: null, state }),
    outerMin: (ctx, inner) => ({ loss: cleanReplays(ctx, 2), grads: null, state: { count: tf.add(inner.state.count, 1) } }),
  });
}

describe('Trainer: the non-finite guard', () => {
  for (const [label, make] of [['a strategy that returns gradients', () => clean()], ['a strategy that steps the optimizer itself', selfStepping]] as const) {
    it(`${label}: a NaN loss throws ADVTRAIN_NON_FINITE naming the step and changes nothing; 'skip' counts it`, async () => {
      const f = mlpFixture();
      const { loss, poisoned } = poisonableLoss();
      for (const optimizer of [tf.train.momentum(0.1, 0.9), tf.train.adam(0.01)]) {
        const trainer: Trainer = new Trainer(make() as AnyStrategy, { view: f.view, optimizer, loss, labels: 'classes' });
        const batch = f.batch(0);
        await trainer.trainStep(batch);
        const stateValues = async () => Promise.all([...tensorsIn((trainer as unknown as { state: unknown }).state)].map(async (t) => Array.from(await values(t))));
        const state = await stateValues();
        poisoned.on = true;
        await expectRefused(trainer, batch, 'ADVTRAIN_NON_FINITE', /^@advtrain\/core: step 1 produced a non-finite loss \(NaN\); the weights.*onNonFinite: 'skip'/, f.variables);
        expect(await stateValues()).toEqual(state);
        const iterations = (optimizer as unknown as { iterations: number }).iterations;
        poisoned.on = false;
        const skipping = new Trainer(make() as AnyStrategy, { view: f.view, optimizer, loss, onNonFinite: 'skip' });
        poisoned.on = true;
        const tensors = tf.memory().numTensors;
        const weights = await snapshot(f.variables);
        const report = await skipping.trainStep(batch);
        expect(report).toMatchObject({ skipped: true, skippedSteps: 1, step: 0 });
        expect(Number.isNaN(report.loss)).toBe(true);
        expect(skipping.step).toBe(0);
        await expectSame(f.variables, weights);
        expect((optimizer as unknown as { iterations: number }).iterations).toBe(iterations);
        poisoned.on = false;
        const next = await skipping.trainStep(batch);
        expect(next).toMatchObject({ skipped: false, skippedSteps: 1, step: 0 });
        skipping.dispose();
        expect(tf.memory().numTensors).toBe(tensors);
        disposeBatch(batch);
        trainer.dispose();
        optimizer.dispose();
      }
      f.dispose();
    });
  }

  it('a step whose first optimizer step runs inside a failed step starts its slots over', async () => {
    const f = mlpFixture();
    const reference = mlpFixture();
    const { loss, poisoned } = poisonableLoss();
    const optimizer = tf.train.momentum(0.1, 0.9);
    const trainer = new Trainer(selfStepping(), { view: f.view, optimizer, loss, onNonFinite: 'skip' });
    const batch = f.batch(0);
    poisoned.on = true;
    expect((await trainer.trainStep(batch)).skipped).toBe(true);
    poisoned.on = false;
    await trainer.trainStep(batch);
    const plain = new Trainer(selfStepping(), { view: reference.view, optimizer: tf.train.momentum(0.1, 0.9), loss });
    await plain.trainStep(batch);
    for (let i = 0; i < f.variables.length; i++) {
      expect(Array.from(await values(f.variables[i] as tf.Tensor))).toEqual(Array.from(await values(reference.variables[i] as tf.Tensor)));
    }
    disposeBatch(batch);
    trainer.dispose();
    plain.dispose();
    f.dispose();
    reference.dispose();
  });

  it('a model that throws mid-step leaves no tensor behind and the state as it was', async () => {
    const w = tf.variable(tf.fill([6, 3], 0.1), true, 'throwing/W');
    let fail = false;
    const view = functionModel({
      variables: [w], validRange: [0, 1], inputShape: [null, 6],
      forward: (x) => { const z = tf.keep(tf.matMul(x, w)); if (fail) throw new Error('model failed'); return z; },
    });
    const trainer = new Trainer(selfStepping(), { view, optimizer: tf.train.momentum(0.1, 0.9) });
    const x = pixels(4);
    const y = labels(4);
    await trainer.trainStep({ x, y });
    fail = true;
    const tensors = tf.memory().numTensors;
    await expect(trainer.trainStep({ x, y })).rejects.toThrow('model failed');
    expect(tf.memory().numTensors).toBe(tensors);
    expect(trainer.step).toBe(1);
    fail = false;
    expect((await trainer.trainStep({ x, y })).step).toBe(1);
    tf.dispose([x, y]);
    trainer.dispose();
    w.dispose();
  });
});

describe('Trainer and views: setup is checked like strategy options', () => {
  it('refuses unknown keys with a suggestion, a reversed range, a missing optimizer, a bad loss, a model for a view', () => {
    const { model, dispose } = denseModel();
    expect(() => layersModelView(model, { validrange: [0, 1] } as never)).toThrow(expect.objectContaining({
      code: 'ADVTRAIN_UNKNOWN_OPTION',
      message: expect.stringMatching(/^@advtrain\/core: layersModelView\(\): unknown option "validrange" .*Did you mean "validRange"\?/),
    }));
    expect(() => layersModelView(model, { validRange: [1, 0] })).toThrow(expect.objectContaining({
      code: 'ADVTRAIN_INVALID_OPTION', option: 'validRange',
      message: expect.stringMatching(/option "validRange" must be null or a pair \[lo, hi\] of finite numbers with lo < hi \(received an array of length 2\)/),
    }));
    expect(() => layersModelView({} as LayersModelLike)).toThrow(/the first argument must be a tf\.LayersModel/);
    const view = layersModelView(model, { validRange: [0, 1] });
    expect(() => new Trainer(clean(), { view } as never)).toThrow(expect.objectContaining({
      code: 'ADVTRAIN_INVALID_OPTION', option: 'optimizer',
      message: expect.stringMatching(/^@advtrain\/core: new Trainer\(\): option "optimizer" must be a tf\.Optimizer, e\.g\. tf\.train\.sgd\(0\.1\) \(received undefined\)/),
    }));
    expect(() => new Trainer(clean(), { view, optimizer: tf.train.sgd(0.1), loss: 'crossentropy' } as never))
      .toThrow(/option "loss" must be a function/);
    expect(() => new Trainer(clean(), { view: model, optimizer: tf.train.sgd(0.1) } as never)).toThrow(expect.objectContaining({
      code: 'ADVTRAIN_INVALID_OPTION',
      message: expect.stringMatching(/option "view" must be a model view .*wrap it: layersModelView\(model, \{ validRange: \[0, 1\] \}\)/),
    }));
    expect(() => new Trainer(clean(), { view, optimiser: tf.train.sgd(0.1) } as never)).toThrow(/unknown option "optimiser".*Did you mean "optimizer"\?/);
    expect(() => new Trainer(clean(), { view, optimizer: tf.train.sgd(0.1), onNonFinite: 'ignore' } as never)).toThrow(/option "onNonFinite" must be one of "throw", "skip"/);
    expect(() => new Trainer({} as never, { view, optimizer: tf.train.sgd(0.1) })).toThrow(/first argument must be a strategy/);
    expect(() => functionModel({ variables: [], forward: (x) => x, validRange: [1, 0] })).toThrow(/functionModel\(\): option "validRange"/);
    expect(() => functionModel({ variables: [], forwrd: (x: tf.Tensor) => x } as never)).toThrow(/unknown option "forwrd".*Did you mean "forward"\?/);
    dispose();
  });
});

describe('Trainer: checkpoints', () => {
  it('checkpoint() leaves no tensor behind (the iteration scalar of getWeights())', async () => {
    const f = linearFixture();
    for (const optimizer of [tf.train.sgd(0.1), tf.train.momentum(0.1, 0.9), tf.train.adam(0.01)]) {
      const trainer = new Trainer(clean(), { view: f.view, optimizer });
      const batch = f.batch(0);
      await trainer.trainStep(batch);
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await trainer.checkpoint();
      expect(tf.memory().numTensors).toBe(tensors);
      disposeBatch(batch);
      optimizer.dispose();
    }
    f.dispose();
  });

  it('restore() checks the whole checkpoint before assigning anything', async () => {
    const f = linearFixture();
    const trainer = new Trainer(clean(), { view: f.view, optimizer: tf.train.sgd(0.1) });
    const good = await trainer.checkpoint();
    const before = await snapshot(f.variables);
    const changed = { ...good, variables: good.variables.map((v) => ({ ...v, values: v.values.map((x) => x + 1) })) };
    const truncated = { ...changed, variables: [changed.variables[0] as never, { ...changed.variables[1], values: [1] } as never] };
    await expect(trainer.restore(truncated)).rejects.toMatchObject({ code: 'ADVTRAIN_STATE_MISMATCH', message: expect.stringMatching(/variable 1 is not a complete tensor; nothing was restored/) });
    const reshaped = { ...changed, variables: [{ ...changed.variables[0], shape: [3, 6] } as never, changed.variables[1] as never] };
    await expect(trainer.restore(reshaped)).rejects.toThrow(/variable 0 is a float32 tensor of shape \[3, 6\], but the view's/);
    await expectSame(f.variables, before);
    f.dispose();
  });
});
