import { registerWasmTrainingKernels } from '@advtrain/backends';
import {
  Trainer, chain, clean, createStepContext, disposeGrads, functionModel, layersModelView, type AnyStrategy,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, embeddingFixture, expectClose, formulaValues, values, type Fixture,
} from '@advtrain/core/testing';
import { freelb } from '@advtrain/freelb';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SMART_PAPER_PRESET, SMART_REGULARIZER_DEFAULTS, klDivergence, smartRegularizer, squaredError, stableKl, symmetricKl,
} from './index.js';

// Training an embedding table through `gather` needs UnsortedSegmentSum, which tfjs-backend-wasm lacks.
beforeAll(() => {
  if (tf.getBackend() === 'wasm') registerWasmTrainingKernels();
});

const SEED = 5;

function logits(seed: number, rows = 4, classes = 3, scale = 2): tf.Tensor2D {
  return tf.tensor2d(formulaValues(rows * classes, seed, scale), [rows, classes]);
}

/** The gradient map the Trainer would apply for one batch, keyed by variable index. */
async function gradientsOf(strategy: AnyStrategy, make: () => Fixture, batchIndex = 0): Promise<{ loss: number; grads: tf.Tensor[] }> {
  const fixture = make();
  const batch = fixture.batch(batchIndex);
  const trainer = new Trainer(strategy, { view: fixture.view, optimizer: tf.train.sgd(0.1), seed: SEED });
  const { loss, grads } = trainer.gradients(batch);
  const out = fixture.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
  const value = (await loss.data())[0] as number;
  loss.dispose();
  trainer.dispose();
  disposeBatch(batch);
  fixture.dispose();
  return { loss: value, grads: out };
}

async function expectSum(total: tf.Tensor[], parts: tf.Tensor[][], what: string): Promise<void> {
  for (const [i, t] of total.entries()) {
    const sum = tf.addN(parts.map((p) => p[i] as tf.Tensor));
    await expectClose(t, sum, 1e-5, `${what}, variable ${i}`);
    sum.dispose();
  }
}

/** δ found by one inner max of `options` on `fixture`. */
function innerDelta(options: Parameters<typeof smartRegularizer>[0], fixture: Fixture): tf.Tensor {
  const batch = fixture.batch(0);
  const s = smartRegularizer(options);
  const inner = s.innerMax(createStepContext({ view: fixture.view, batch }), s.init({ view: fixture.view, seed: SEED }));
  const delta = tf.clone(inner.delta as tf.Tensor);
  tf.dispose([inner.delta as tf.Tensor, ...Object.values(inner.extras ?? {}).filter((t): t is tf.Tensor => t !== null)]);
  disposeBatch(batch);
  return delta;
}

describe('smart-regularizer conformance', () => {
  for (const c of conformanceCases(smartRegularizer, {
    fixture: 'embedding',
    valid: [{}, SMART_PAPER_PRESET, { divergence: 'mse' }, { taskLoss: false, steps: 2, regWeight: 3 }],
    invalid: [
      [{ steps: 0 }, 'steps'], [{ regWeight: -1 }, 'regWeight'], [{ stepSize: -1e-5 }, 'stepSize'],
      [{ noiseScale: Number.POSITIVE_INFINITY }, 'noiseScale'], [{ guard: 0 }, 'guard'], [{ projection: 'l2' }, 'projection'],
      [{ epsilon: 0 }, 'epsilon'], [{ divergence: 'js' }, 'divergence'], [{ taskLoss: 'yes' }, 'taskLoss'],
    ],
  })) it(c.name, c.run);

  it('declares its defaults, threat model and cost', () => {
    const s = smartRegularizer();
    expect(s.options).toEqual(SMART_REGULARIZER_DEFAULTS);
    expect(s.capabilities.threat).toEqual({ norm: 'token-linf', epsilon: 1 });
    expect(smartRegularizer(SMART_PAPER_PRESET).capabilities.threat).toEqual({ norm: 'token-linf', epsilon: 1e-5 });
    expect(s.capabilities.dropout).toBe('fresh');
    const { passes } = (() => {
      const fixture = embeddingFixture();
      const batch = fixture.batch(0);
      const trainer = new Trainer(smartRegularizer({ steps: 2 }), { view: fixture.view, optimizer: tf.train.sgd(0.1) });
      const out = trainer.gradients(batch);
      out.loss.dispose();
      disposeGrads(out.grads);
      trainer.dispose();
      disposeBatch(batch);
      fixture.dispose();
      return out;
    })();
    expect(passes).toMatchObject({ forward: 2 + 3, backward: 2 + 1 });
  });
});

describe('smart-regularizer oracles (docs/strategies/smart-regularizer.md, Tests)', () => {
  it('1: R = 0 at δ = 0 (σ = 0, η = 0); SymKL(P, P) = 0 and stable_kl(a, a) = 0', async () => {
    const a = logits(1);
    expect((await symmetricKl(a, a).data())[0]).toBe(0);
    expect((await stableKl(a, a).data())[0]).toBe(0);
    const { loss, grads } = await gradientsOf(smartRegularizer({ noiseScale: 0, stepSize: 0, taskLoss: false }), () => embeddingFixture());
    expect(loss).toBe(0);
    // ∂R/∂z = (P − P̃)/B = 0 up to the float rounding of Σ P̃ = 1.
    for (const g of grads) expect(Math.max(...Array.from(await values(g)).map(Math.abs))).toBeLessThan(1e-7);
    tf.dispose([a, ...grads]);
  });

  it('2: SymKL(P, Q) = SymKL(Q, P) ≥ 0', async () => {
    for (let s = 0; s < 5; s++) {
      const p = logits(10 + s);
      const q = logits(20 + s, 4, 3, 0.5 + s);
      const pq = (await symmetricKl(p, q).data())[0] as number;
      const qp = (await symmetricKl(q, p).data())[0] as number;
      expect(pq).toBeGreaterThan(0);
      expect(Math.abs(pq - qp)).toBeLessThanOrEqual(1e-6 * (1 + pq));
      expect((await klDivergence(p, q).data())[0]).toBeGreaterThanOrEqual(0);
      tf.dispose([p, q]);
    }
  });

  it('3: each half stops only its own target: ∂R/∂z = ∂KL(sg(P̃)‖P)/∂z and ∂R/∂z̃ = ∂KL(sg(P)‖P̃)/∂z̃', async () => {
    const z = logits(3);
    const zt = logits(4, 4, 3, 1);
    const [dz, dzt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => symmetricKl(a, b))([z, zt]);
    const onlyClean = tf.grad((a: tf.Tensor) => klDivergence(zt, a))(z);
    const onlyPerturbed = tf.grad((b: tf.Tensor) => klDivergence(z, b))(zt);
    await expectClose(dz as tf.Tensor, onlyClean, 1e-5, '∂R/∂z');
    await expectClose(dzt as tf.Tensor, onlyPerturbed, 1e-5, '∂R/∂z̃');
    // Closed form: (P − P̃)/B, so neither side is fully stopped.
    const closed = tf.div(tf.sub(tf.softmax(z), tf.softmax(zt)), 4);
    await expectClose(dz as tf.Tensor, closed, 1e-5, 'closed form');
    tf.dispose([z, zt, dz as tf.Tensor, dzt as tf.Tensor, onlyClean, onlyPerturbed, closed]);
  });

  it('4: with the mt-dnn defaults and H = 64, every real token of ν has max-abs in (0.9, 1); padding stays 0', async () => {
    const fixture = embeddingFixture({ hidden: 64, seqLen: 7, batchSize: 5 });
    const nu = innerDelta({}, fixture);
    const maxAbs = tf.max(tf.abs(nu), -1);
    const batch = fixture.batch(0);
    const ids = await batch.x.data();
    const m = await maxAbs.data();
    ids.forEach((id, i) => {
      if (id === 0) expect(m[i]).toBe(0);
      else {
        expect(m[i]).toBeGreaterThan(0.9);
        expect(m[i]).toBeLessThan(1);
      }
    });
    tf.dispose([nu, maxAbs]);
    disposeBatch(batch);
    fixture.dispose();
  });

  it("4: projection 'paper' keeps ‖x̃ − x‖∞ ≤ ε, also with several large steps", async () => {
    const fixture = embeddingFixture({ hidden: 16 });
    for (const options of [SMART_PAPER_PRESET, { ...SMART_PAPER_PRESET, epsilon: 0.05, stepSize: 1, steps: 3, noiseScale: 0.1 }]) {
      const nu = innerDelta(options, fixture);
      const worst = Math.max(...Array.from(await values(nu)).map(Math.abs));
      expect(worst).toBeLessThanOrEqual(options.epsilon * (1 + 1e-6));
      expect(worst).toBeGreaterThan(0.5 * options.epsilon);
      nu.dispose();
    }
    fixture.dispose();
  });

  it('a NaN/Inf inner gradient turns the term off for the step (no read-back): only the task loss remains', async () => {
    const poison = tf.customGrad((...inputs) => {
      const x = inputs[0] as tf.Tensor;
      return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.mul(dy, Number.NaN) };
    });
    const make = (): Fixture => {
      const base = embeddingFixture();
      const [table, w, b] = base.variables as [tf.Variable, tf.Variable, tf.Variable];
      const view = functionModel({
        site: 'embedding', variables: [w, b], padId: 0, hiddenSize: 4,
        embed: (ids) => tf.reshape(tf.matMul(tf.oneHot(tf.reshape(tf.cast(ids, 'int32'), [-1]), 11), table), [...ids.shape, 4]),
        head: (e) => tf.add(tf.matMul(tf.tanh(tf.mean(poison(e) as tf.Tensor, 1)), w), b),
      });
      return { ...base, view, variables: [w, b] };
    };
    const fixture = make();
    const nu = innerDelta({ noiseScale: 0.1 }, fixture);
    expect(Array.from(await values(nu)).every((v) => v === 0)).toBe(true);
    nu.dispose();
    fixture.dispose();
    const smart = await gradientsOf(smartRegularizer({ noiseScale: 0.1, regWeight: 5 }), make);
    const base = await gradientsOf(clean(), make);
    expect(Math.abs(smart.loss - base.loss)).toBeLessThanOrEqual(1e-6);
    for (const [i, g] of smart.grads.entries()) await expectClose(g, base.grads[i] as tf.Tensor, 1e-5, `variable ${i}`);
    tf.dispose([...smart.grads, ...base.grads]);
  });

  it("divergence 'mse' is the element-wise mean squared difference (no [B, B] broadcast)", async () => {
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor2d([[1.5], [2], [1]]);
    expect((await squaredError(a, b).data())[0]).toBeCloseTo((0.25 + 0 + 4) / 3, 6);
    tf.dispose([a, b]);
    const { loss } = await gradientsOf(smartRegularizer({ divergence: 'mse', noiseScale: 0.1, stepSize: 0.1 }), () => embeddingFixture());
    expect(Number.isFinite(loss)).toBe(true);
  });
});

describe('composition (docs/composition.md)', () => {
  const strong = { noiseScale: 0.05, stepSize: 0.5 };

  it('chain(freelb(...), smartRegularizer({ taskLoss: false })) applies the FreeLB gradient plus λ·∇R', async () => {
    const make = () => embeddingFixture({ hidden: 6 });
    const both = await gradientsOf(chain(freelb({ steps: 2 }), smartRegularizer({ ...strong, taskLoss: false })), make);
    const a = await gradientsOf(freelb({ steps: 2 }), make);
    const b = await gradientsOf(smartRegularizer({ ...strong, taskLoss: false }), make);
    await expectSum(both.grads, [a.grads, b.grads], 'chain(freelb, smart)');
    expect(Math.abs(both.loss - (a.loss + b.loss))).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(both.loss)));
    tf.dispose([...both.grads, ...a.grads, ...b.grads]);
  });

  it('chain(clean(), smartRegularizer({ taskLoss: false })) equals smartRegularizer() with the task loss', async () => {
    const make = () => embeddingFixture({ hidden: 6 });
    const both = await gradientsOf(chain(clean(), smartRegularizer({ ...strong, taskLoss: false })), make);
    const alone = await gradientsOf(smartRegularizer(strong), make);
    await expectSum(both.grads, [alone.grads], 'chain(clean, smart)');
    tf.dispose([...both.grads, ...alone.grads]);
  });

  it('regWeight scales the regulariser linearly', async () => {
    const make = () => embeddingFixture({ hidden: 6 });
    const one = await gradientsOf(smartRegularizer({ ...strong, taskLoss: false }), make);
    const three = await gradientsOf(smartRegularizer({ ...strong, taskLoss: false, regWeight: 3 }), make);
    expect(one.loss).toBeGreaterThan(0);
    await expectSum(three.grads, [one.grads, one.grads, one.grads], 'λ = 3');
    tf.dispose([...one.grads, ...three.grads]);
  });

  it('trains a functional tf.model (Embedding(maskZero) → Dropout → Dense) with chain(freelb, smart) on this backend', async () => {
    const ids = tfl.input({ shape: [5], dtype: 'int32' });
    const e = tfl.layers.embedding({ inputDim: 9, outputDim: 8, maskZero: true }).apply(ids) as tfl.SymbolicTensor;
    const d = tfl.layers.dropout({ rate: 0.2 }).apply(e) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling1d().apply(d) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: ids, outputs: tfl.layers.dense({ units: 2 }).apply(pooled) as tfl.SymbolicTensor });
    model.setWeights(model.getWeights().map((w, i) => tf.tensor(formulaValues(w.size, 40 + i, 0.5), w.shape)));
    const view = layersModelView(model, { site: 'embedding' });
    const trainer = new Trainer(chain(freelb({ steps: 2 }), smartRegularizer({ taskLoss: false })),
      { view, optimizer: tf.train.adam(0.05), seed: SEED });
    const batch = {
      x: tf.tensor2d([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [2, 8, 0, 0, 0], [3, 3, 1, 6, 0]], [4, 5], 'int32'),
      y: tf.tensor1d([0, 1, 0, 1], 'int32'),
    };
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) losses.push((await trainer.trainStep(batch)).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[7]).toBeLessThan(losses[0] as number);
    trainer.dispose();
    disposeBatch(batch);
    model.dispose();
  });
});
