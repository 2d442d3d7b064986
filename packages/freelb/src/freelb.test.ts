import { registerWasmTrainingKernels } from '@advtrain/backends';
import {
  Trainer, chain, clean, createStepContext, disposeGrads, functionModel, layersModelView, probe,
  type AnyStrategy, type Batch, type DropoutPolicy, type GradMap, type ModelView,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, embeddingFixture, expectClose, expectIdentical, formulaValues, values, type Fixture,
} from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FREELB_DEFAULTS, FREELB_FAIRSEQ_PRESET, freelb } from './index.js';

// Training an embedding table through `gather` needs UnsortedSegmentSum, which tfjs-backend-wasm lacks.
beforeAll(() => {
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
});

const SEED = 99;
const VOCAB = 13;
const LENGTH = 6;
const HIDDEN = 8;
const CLASSES = 3;
const BATCH = 4;

/** Token ids with trailing padding (id 0): example r has LENGTH − r real tokens (at least 2). */
function textBatch(i = 0): Batch {
  const ids: number[] = [];
  for (let r = 0; r < BATCH; r++) {
    const real = Math.max(2, LENGTH - r);
    for (let t = 0; t < LENGTH; t++) ids.push(t < real ? 1 + ((r * 5 + t * 3 + i * 7) % (VOCAB - 1)) : 0);
  }
  return {
    x: tf.tensor2d(ids, [BATCH, LENGTH], 'int32'),
    y: tf.tensor1d(Array.from({ length: BATCH }, (_, r) => (r + i) % CLASSES), 'int32'),
  };
}

function weight(name: string, shape: number[], seed: number, scale: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(formulaValues(size, seed, scale), shape), true, `freelb_test_${name}_${seed}_${Math.random()}`);
}

/** Function-style text classifier: gather lookup, dropout (ctx.dropout), masked mean pooling, tanh, dense. */
function functionTextModel(): Fixture {
  const table = weight('table', [VOCAB, HIDDEN], 1, 0.7);
  const w = weight('w', [HIDDEN, CLASSES], 2, 0.9);
  const b = weight('b', [CLASSES], 3, 0.1);
  const view = functionModel({
    site: 'embedding', variables: [table, w, b], padId: 0, hiddenSize: HIDDEN,
    embed: (ids) => tf.gather(table, tf.cast(ids, 'int32')),
    head: (e, ctx) => {
      const mask = tf.expandDims(ctx.mask as tf.Tensor, -1);
      const dropped = ctx.dropout(e, 0.3);
      const pooled = tf.div(tf.sum(tf.mul(dropped, mask), 1), tf.sum(mask, 1));
      return tf.add(tf.matMul(tf.tanh(pooled), w), b);
    },
  });
  return { view, variables: [table, w, b], batch: textBatch, dispose: () => [table, w, b].forEach((v) => v.dispose()) };
}

/** tf.LayersModel: embedding(maskZero) → dropout (seeded on purpose) → global average pooling → dense. */
function layersTextModel(): Fixture & { model: tfl.LayersModel } {
  const model = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: VOCAB, outputDim: HIDDEN, maskZero: true, inputLength: LENGTH }),
      tfl.layers.dropout({ rate: 0.3, seed: 7 }),
      tfl.layers.globalAveragePooling1d(),
      tfl.layers.dense({ units: CLASSES }),
    ],
  });
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(formulaValues(w.size, 10 + i, 0.6), w.shape)));
  const view = layersModelView(model, { site: 'embedding' });
  return { model, view, variables: view.variables, batch: textBatch, dispose: () => model.dispose() };
}

/** A view that records δ and the logits of every forward pass, and the seed of every step. */
function spy(view: ModelView) {
  const deltas: tf.Tensor[] = [];
  const logits: tf.Tensor[] = [];
  const stepSeeds: number[] = [];
  const beginStep = view.dropout.beginStep.bind(view.dropout);
  view.dropout.beginStep = (seed: number) => { stepSeeds.push(seed); beginStep(seed); };
  const spied: ModelView = {
    ...view,
    forward(batch, delta, options) {
      const out = view.forward(batch, delta, options);
      deltas.push(tf.keep(delta ? tf.clone(delta) : tf.zeros(view.siteShape(batch))));
      logits.push(tf.keep(tf.clone(out)));
      return out;
    },
  };
  return { view: spied, deltas, logits, stepSeeds, dispose: () => tf.dispose([...deltas, ...logits]) };
}

/** Mean of the parameter gradients at each δ, each pass computed on its own with the given step's masks. */
function meanOfSeparateGradients(view: ModelView, batch: Batch, deltas: tf.Tensor[], stepSeed: number,
  policy: DropoutPolicy): GradMap {
  view.dropout.policy = policy;
  const ctx = createStepContext({ view, batch });
  const sums: GradMap = {};
  for (const delta of deltas) {
    view.dropout.beginStep(stepSeed);
    const { loss, paramGrads } = probe(ctx, { delta, wrtParams: true });
    loss.dispose();
    for (const [name, g] of Object.entries(paramGrads as GradMap)) {
      const old = sums[name];
      sums[name] = old ? tf.add(old, g) : tf.clone(g);
      old?.dispose();
      g.dispose();
    }
  }
  const mean: GradMap = {};
  for (const [name, g] of Object.entries(sums)) mean[name] = tf.div(g, deltas.length);
  disposeGrads(sums);
  return mean;
}

function gradientsOf(strategy: AnyStrategy, view: ModelView, batch: Batch): GradMap {
  const trainer = new Trainer(strategy, { view, optimizer: tf.train.sgd(0.1), seed: SEED });
  const { loss, grads } = trainer.gradients(batch);
  loss.dispose();
  trainer.dispose();
  return grads;
}

/** Per-example L2 norms of a [B, T, H] tensor. */
async function exampleNorms(t: tf.Tensor): Promise<number[]> {
  const n = tf.sqrt(tf.sum(tf.square(t), [1, 2]));
  const out = Array.from(await n.data());
  n.dispose();
  return out;
}

/** Fails unless δ is exactly 0 wherever the batch has padding (id 0). */
async function expectZeroAtPadding(delta: tf.Tensor, batch: Batch): Promise<void> {
  const ids = await batch.x.data();
  const d = await values(delta);
  const h = delta.shape[2] as number;
  ids.forEach((id, pos) => {
    if (id === 0) for (let k = 0; k < h; k++) expect(d[pos * h + k] === 0).toBe(true);
  });
}

describe('freelb conformance', () => {
  for (const c of conformanceCases(freelb, {
    valid: [{}, { ...FREELB_FAIRSEQ_PRESET, steps: 2 }, { norm: 'linf', maxNorm: 0.1 }, { maxNorm: 0, dropoutMasks: 'fresh' }],
    invalid: [
      [{ steps: 0 }, 'steps'], [{ steps: 1.5 }, 'steps'], [{ stepSize: -1 }, 'stepSize'], [{ norm: 'l1' }, 'norm'],
      [{ maxNorm: -0.1 }, 'maxNorm'], [{ initMagnitude: Number.NaN }, 'initMagnitude'],
      [{ dropoutMasks: 'sometimes' }, 'dropoutMasks'], [{ variant: 'torch' }, 'variant'], [{ guard: 0 }, 'guard'],
    ],
  })) it(c.name, c.run);

  it('declares its threat model, dropout policy and passes from the options', () => {
    expect(freelb().capabilities.threat).toEqual({ norm: 'l2', epsilon: FREELB_DEFAULTS.maxNorm });
    expect(freelb({ maxNorm: 0 }).capabilities.threat).toEqual({ norm: 'none', epsilon: null });
    expect(freelb({ maxNorm: 0.1, initMagnitude: 0.5 }).capabilities.threat.epsilon).toBe(0.5);
    expect(freelb({ dropoutMasks: 'fresh' }).capabilities.dropout).toBe('fresh');
    expect(freelb({ steps: 4 }).capabilities.passesPerBatch.full).toBe(4);
    expect(freelb({ ...FREELB_FAIRSEQ_PRESET, steps: 4 }).capabilities.passesPerBatch.full).toBe(5);
  });
});

describe('freelb oracles (docs/strategies/freelb.md, Tests)', () => {
  const models: Array<[string, () => Fixture]> = [
    ['the embedding fixture', () => embeddingFixture({ hidden: 6 })],
    ['a function-style model with dropout', functionTextModel],
    ['a tf.LayersModel with Embedding(maskZero) and a seeded Dropout', layersTextModel],
  ];
  for (const [label, make] of models) {
    it(`1 + 3: the gradient is the mean of the K gradients at δ₀…δ_{K−1}; δ is 0 at padding and inside maxNorm (${label})`, async () => {
      const fixture = make();
      const batch = fixture.batch(0);
      const s = spy(fixture.view);
      const options = { steps: 3, stepSize: 0.4, initMagnitude: 0.2, maxNorm: 0.3 };
      const trainer = new Trainer(freelb(options), { view: s.view, optimizer: tf.train.sgd(0.1), seed: SEED });
      const { loss, grads, passes } = trainer.gradients(batch);
      expect(passes.forward).toBe(3);
      expect(passes.backward).toBe(3);
      expect(s.deltas).toHaveLength(3);
      for (const [t, delta] of s.deltas.entries()) {
        await expectZeroAtPadding(delta, batch);
        const bound = t === 0 ? options.initMagnitude : options.maxNorm;
        for (const n of await exampleNorms(delta)) expect(n).toBeLessThanOrEqual(bound * (1 + 1e-5));
      }
      const expected = meanOfSeparateGradients(fixture.view, batch, s.deltas, s.stepSeeds[0] as number, 'frozen');
      for (const v of fixture.variables) await expectClose(grads[v.name] as tf.Tensor, expected[v.name] as tf.Tensor, 1e-5, v.name);
      [grads, expected].forEach(disposeGrads);
      loss.dispose();
      trainer.dispose();
      s.dispose();
      disposeBatch(batch);
      fixture.dispose();
    });
  }

  it('1: the fairseq preset makes K + 1 passes and averages over them', async () => {
    const fixture = embeddingFixture();
    const batch = fixture.batch(1);
    const s = spy(fixture.view);
    const grads = gradientsOf(freelb({ ...FREELB_FAIRSEQ_PRESET, steps: 2, stepSize: 0.3, initMagnitude: 0.1, maxNorm: 0 }), s.view, batch);
    expect(s.deltas).toHaveLength(3);
    const expected = meanOfSeparateGradients(fixture.view, batch, s.deltas, s.stepSeeds[0] as number, 'frozen');
    for (const v of fixture.variables) await expectClose(grads[v.name] as tf.Tensor, expected[v.name] as tf.Tensor, 1e-5, v.name);
    [grads, expected].forEach(disposeGrads);
    s.dispose();
    disposeBatch(batch);
    fixture.dispose();
  });

  it('2: K = 1 with initMagnitude 0 is clean fine-tuning, bit for bit', async () => {
    const run = async (strategy: AnyStrategy): Promise<Float32Array[]> => {
      const fixture = layersTextModel();
      const trainer = new Trainer(strategy, { view: fixture.view, optimizer: tf.train.sgd(0.5), seed: SEED });
      for (let i = 0; i < 3; i++) {
        const batch = fixture.batch(i);
        await trainer.trainStep(batch);
        disposeBatch(batch);
      }
      const out = await Promise.all(fixture.variables.map((v) => values(v)));
      trainer.dispose();
      fixture.dispose();
      return out;
    };
    // 'fresh' so the single pass draws the masks clean() draws (see the README on frozen masks).
    const a = await run(freelb({ steps: 1, initMagnitude: 0, dropoutMasks: 'fresh' }));
    const b = await run(clean());
    a.forEach((w, i) => expectIdentical(w, b[i] as Float32Array, `variable ${i}`));
    const fixture = embeddingFixture();
    const batch = fixture.batch(0);
    const g1 = gradientsOf(freelb({ steps: 1, initMagnitude: 0 }), fixture.view, batch);
    const g2 = gradientsOf(clean(), fixture.view, batch);
    for (const v of fixture.variables) await expectIdentical(g1[v.name] as tf.Tensor, g2[v.name] as tf.Tensor, v.name);
    [g1, g2].forEach(disposeGrads);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('3: ‖δ₀,b‖₂ ≤ initMagnitude, its mean ≈ initMagnitude/√3, and L∞ starts inside [−m, m]; padding stays 0', async () => {
    const m = 0.5;
    const fixture = embeddingFixture({ vocab: 50, seqLen: 24, hidden: 32, batchSize: 48 });
    const batch = fixture.batch(0);
    for (const norm of ['l2', 'linf'] as const) {
      const s = spy(fixture.view);
      disposeGrads(gradientsOf(freelb({ steps: 1, initMagnitude: m, norm }), s.view, batch));
      const delta0 = s.deltas[0] as tf.Tensor;
      await expectZeroAtPadding(delta0, batch);
      if (norm === 'l2') {
        const norms = await exampleNorms(delta0);
        for (const n of norms) expect(n).toBeLessThanOrEqual(m * (1 + 1e-6));
        const mean = norms.reduce((a, b) => a + b, 0) / norms.length;
        expect(Math.abs(mean - m / Math.sqrt(3)) / (m / Math.sqrt(3))).toBeLessThan(0.03);
      } else {
        const d = await values(delta0);
        expect(d.every((v) => Math.abs(v) <= m)).toBe(true);
        expect(d.some((v) => Math.abs(v) > 0.9 * m)).toBe(true);
      }
      s.dispose();
    }
    disposeBatch(batch);
    fixture.dispose();
  });

  it('3: steps are g/‖g‖₂ per example (L2) and max-normalised, not sign (L∞); maxNorm projects, 0 means unbounded', async () => {
    const fixture = embeddingFixture({ hidden: 6 });
    const batch = fixture.batch(2);
    const ctx = createStepContext({ view: fixture.view, batch });
    const g = probe(ctx, { delta: tf.zeros(fixture.view.siteShape(batch)), wrtDelta: true }).deltaGrad as tf.Tensor;
    const alpha = 0.25;
    const cases = [
      { norm: 'l2' as const, maxNorm: 0, expected: tf.div(tf.mul(g, alpha), tf.sqrt(tf.sum(tf.square(g), [1, 2], true))) },
      { norm: 'l2' as const, maxNorm: alpha / 2, expected: tf.div(tf.mul(g, alpha / 2), tf.sqrt(tf.sum(tf.square(g), [1, 2], true))) },
      { norm: 'linf' as const, maxNorm: 0, expected: tf.div(tf.mul(g, alpha), tf.max(tf.abs(g), [1, 2], true)) },
    ];
    for (const c of cases) {
      const s = spy(fixture.view);
      disposeGrads(gradientsOf(freelb({ steps: 2, initMagnitude: 0, stepSize: alpha, norm: c.norm, maxNorm: c.maxNorm }), s.view, batch));
      await expectClose(s.deltas[1] as tf.Tensor, c.expected, 1e-5, `δ₁ (${c.norm}, maxNorm ${c.maxNorm})`);
      if (c.norm === 'linf') {
        const d = Array.from(await values(s.deltas[1] as tf.Tensor)).filter((v) => v !== 0);
        expect(d.some((v) => Math.abs(v) < 0.99 * alpha)).toBe(true);
      }
      s.dispose();
      c.expected.dispose();
    }
    g.dispose();
    disposeBatch(batch);
    fixture.dispose();
  });
});

describe('frozen dropout masks (docs/strategies/freelb.md, Dropout)', () => {
  const models: Array<[string, () => Fixture]> = [
    ['function-style model, ctx.dropout', functionTextModel],
    ['tf.LayersModel, tf.layers.dropout with a seed', layersTextModel],
  ];
  for (const [label, make] of models) {
    it(`4: same δ ⇒ identical logits within a step when frozen, different across steps; 'fresh' differs within a step (${label})`, async () => {
      const fixture = make();
      const batch = fixture.batch(0);
      // stepSize 0 keeps δ = 0 in every pass; lr 0 keeps θ fixed, so only the masks can change the logits.
      const logitsOf = async (dropoutMasks: DropoutPolicy): Promise<Float32Array[]> => {
        const s = spy(fixture.view);
        const trainer = new Trainer(freelb({ steps: 2, stepSize: 0, initMagnitude: 0, dropoutMasks }),
          { view: s.view, optimizer: tf.train.sgd(0), seed: SEED });
        for (let i = 0; i < 2; i++) await trainer.trainStep(batch);
        const out = await Promise.all(s.logits.map((l) => values(l)));
        trainer.dispose();
        s.dispose();
        return out;
      };
      const [a0, a1, b0, b1] = await logitsOf('frozen');
      await expectIdentical(a0 as Float32Array, a1 as Float32Array, 'passes of step 0');
      await expectIdentical(b0 as Float32Array, b1 as Float32Array, 'passes of step 1');
      expect(Array.from(a0 as Float32Array)).not.toEqual(Array.from(b0 as Float32Array));
      const [f0, f1] = await logitsOf('fresh');
      expect(Array.from(f0 as Float32Array)).not.toEqual(Array.from(f1 as Float32Array));
      disposeBatch(batch);
      fixture.dispose();
    });
  }

  it('a seeded tf.layers.dropout still gets new masks every step (the view replaces its mask source)', async () => {
    const fixture = layersTextModel();
    const batch = fixture.batch(0);
    const delta = tf.zeros([BATCH, LENGTH, HIDDEN]);
    fixture.view.dropout.policy = 'frozen';
    const seen: Float32Array[] = [];
    for (const stepSeed of [11, 12, 13]) {
      fixture.view.dropout.beginStep(stepSeed);
      const out = fixture.view.forward(batch, delta);
      seen.push(await values(out));
      out.dispose();
    }
    expect(new Set(seen.map((s) => Array.from(s).join())).size).toBe(3);
    delta.dispose();
    disposeBatch(batch);
    fixture.dispose();
  });
});

describe('text models train with freelb', () => {
  it('trains a tf.LayersModel embedding table through gather, and composes with clean()', async () => {
    const fixture = layersTextModel();
    const table = fixture.variables[0] as tf.Variable;
    const before = await values(table);
    const trainer = new Trainer(chain(freelb(), clean()), { view: fixture.view, optimizer: tf.train.adam(0.05), seed: SEED });
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const batch = fixture.batch(i % 2);
      losses.push((await trainer.trainStep(batch)).loss);
      disposeBatch(batch);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[7]).toBeLessThan(losses[0] as number);
    expect(Array.from(await values(table))).not.toEqual(Array.from(before));
    trainer.dispose();
    fixture.dispose();
  });
});
