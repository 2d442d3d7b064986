import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  Trainer, clampToRange, clipLinf, createStepContext, functionModel, layersModelView, probe, type Batch,
  type GradMap, type LayersModelLike, type StepContext,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, expectClose, expectIdentical, formulaValues, mlpFixture, values, type Fixture,
} from '@advtrain/core/testing';
import { currentBackend, skipReason } from '@advtrain/test-config/skip-list';
import { YOPO_PMP_MNIST_PRESET, YOPO_PMP_NLP_PRESET, yopoPmp, yopoPmpNlp } from './index.js';

const INVALID: Array<[object, string]> = [[{ outerSteps: 0 }, 'outerSteps'], [{ innerSteps: -1 }, 'innerSteps'],
  [{ epsilon: -1 }, 'epsilon'], [{ stepSize: Number.NaN }, 'stepSize']];
describe('conformance (image)', () => {
  for (const c of conformanceCases(yopoPmp, {
    options: { outerSteps: 2, innerSteps: 2, epsilon: 0.1, stepSize: 0.03 },
    valid: [{}, YOPO_PMP_MNIST_PRESET, { innerSteps: 0, randomStart: false }],
    invalid: [...INVALID, [{ variant: 'nlp' }, 'variant'], [{ randomStart: 1 }, 'randomStart'], [{ initMagnitude: 0.1 }, 'initMagnitude']],
  })) it(c.name, c.run);
});
describe('conformance (nlp)', () => {
  for (const c of conformanceCases(yopoPmpNlp, {
    options: YOPO_PMP_NLP_PRESET,
    valid: [{}, YOPO_PMP_NLP_PRESET, { innerSteps: 0, epsilon: 0 }],
    invalid: [...INVALID, [{ initMagnitude: -1 }, 'initMagnitude'], [{ randomStart: true }, 'randomStart']],
  })) it(c.name, c.run);
});
it('yopoPmp names yopoPmpNlp when given the options of the NLP variant', () => {
  expect(() => yopoPmp({ variant: 'nlp' } as object)).toThrow(/yopoPmpNlp/);
});

const v = (shape: number[], seed: number, scale: number) =>
  tf.variable(tf.tensor(formulaValues(shape.reduce((a, b) => a * b, 1), seed, scale), shape));

/** Conv net on [B, 8, 8, 1]: layer one = conv 3×3×4 'same' + ReLU, then dense to 3 classes. */
function convFixture(): Fixture {
  const vars = [v([3, 3, 1, 4], 11, 0.5), v([4], 12, 0.1), v([256, 3], 13, 0.2), v([3], 14, 0.1)];
  const [k, kb, w, b] = vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const view = functionModel({
    variables: vars, validRange: [0, 1],
    layerOne: { variables: [k, kb], forward: (x) => tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), kb)) },
    rest: (z) => tf.add(tf.matMul(tf.reshape(z, [-1, 256]), w), b),
  });
  const batch = (i = 0): Batch => ({
    x: tf.tensor(formulaValues(5 * 64, 40 + i, 0.5).map((a) => a + 0.5), [5, 8, 8, 1]),
    y: tf.tensor1d(Array.from({ length: 5 }, (_, r) => (r + i) % 3), 'int32'),
  });
  return { view, variables: vars, batch, dispose: () => vars.forEach((x) => x.dispose()) };
}

/** Layer one is affine (z = xW1 + b1), so its Jacobian term has a closed form. */
function linearFirstLayerFixture(): Fixture {
  const base = mlpFixture();
  const [w1, b1, w2, b2] = base.variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
  const view = functionModel({
    variables: [w1, b1, w2, b2], validRange: [0, 1],
    layerOne: { variables: [w1, b1], forward: (x) => tf.add(tf.matMul(x, w1), b1) },
    rest: (z) => tf.add(tf.matMul(tf.relu(z), w2), b2),
  });
  return { ...base, view };
}

/** The same MLP as a tf.LayersModel, split after its first Dense (ReLU) layer. */
function layersFixture(): Fixture {
  const base = mlpFixture();
  const model = tfl.sequential({ layers: [
    tfl.layers.dense({ units: 6, activation: 'relu', inputShape: [8] }), tfl.layers.dense({ units: 3 })] });
  model.setWeights([...base.variables]);
  const view = layersModelView(model as unknown as LayersModelLike, { layerOne: 0, validRange: [0, 1] });
  return { view, variables: view.variables, batch: base.batch, dispose: () => { model.dispose(); base.dispose(); } };
}

const FIXTURES: Array<[string, () => Fixture]> = [['mlp', () => mlpFixture()], ['conv net', convFixture]];

function context(f: Fixture, batch: Batch): StepContext {
  return createStepContext({ view: f.view, batch, refusal: 'yopo-pmp must not step the optimizer' });
}

/** One YOPO inner max: the final η and the gradients it hands the optimizer. Caller disposes. */
function yopoRun(f: Fixture, batch: Batch, options: object, factory: typeof yopoPmp | typeof yopoPmpNlp = yopoPmp) {
  const s = factory(options);
  const ctx = context(f, batch);
  const inner = s.innerMax(ctx, s.init({ view: f.view, seed: 9 }));
  const eta = tf.clone(inner.delta as tf.Tensor); // the step's δ is freed with the step
  const outer = s.outerMin(ctx, inner);
  outer.loss.dispose();
  return { eta, grads: outer.grads as GradMap, passes: ctx.passes.snapshot() };
}

/** ∂ℓ/∂θ and ∂ℓ/∂z at x + η, with YOPO's clamp convention (first pass unclamped). */
function pass(f: Fixture, batch: Batch, eta: tf.Tensor | null, clampInput: boolean) {
  const r = probe(context(f, batch), { delta: eta, wrtParams: true, wrtLayerOne: true, clampInput });
  r.loss.dispose();
  return { grads: r.paramGrads as GradMap, z: r.layerOneGrad as tf.Tensor };
}

/** η_1 … η_{m+1} of zero-start YOPO-·-n: η_{j+1} is the final η of YOPO-j-n. */
function etas(f: Fixture, batch: Batch, m: number, n: number, sigma: number, eps: number): tf.Tensor[] {
  const out = [tf.zeros(f.view.siteShape(batch))];
  for (let j = 1; j <= m; j++) {
    const r = yopoRun(f, batch, { outerSteps: j, innerSteps: n, stepSize: sigma, epsilon: eps, randomStart: false });
    out.push(r.eta);
    Object.values(r.grads).forEach((g) => g.dispose());
  }
  return out;
}

const itOn = (name: string, fn: () => Promise<void>) => {
  const reason = skipReason(currentBackend(), `yopo-pmp ${name}`);
  (reason ? it.skip : it)(reason ? `${name} (skipped: ${reason})` : name, fn);
};

for (const [label, make] of FIXTURES) {
  describe(`yopo-pmp oracles on the ${label}`, () => {
    itOn(`oracle 1 (${label}): YOPO-m-1 perturbations equal PGD-m's (sign steps, same σ, same init)`, async () => {
      const f = make();
      const batch = f.batch(0);
      const [sigma, eps] = [0.02, 0.05];
      let pgd = tf.zeros(f.view.siteShape(batch));
      for (let m = 1; m <= 3; m++) {
        const p = probe(context(f, batch), { delta: pgd, wrtDelta: true, clampInput: m > 1 });
        const next = clampToRange(batch.x, clipLinf(tf.add(pgd, tf.mul(tf.sign(p.deltaGrad as tf.Tensor), sigma)), eps), [0, 1]);
        tf.dispose([p.loss, p.deltaGrad as tf.Tensor, pgd]);
        pgd = next;
        const yopo = yopoRun(f, batch, { outerSteps: m, innerSteps: 1, stepSize: sigma, epsilon: eps, randomStart: false });
        await expectIdentical(yopo.eta, pgd, `η after ${m} steps`);
        tf.dispose([yopo.eta, ...Object.values(yopo.grads)]);
      }
      pgd.dispose(); disposeBatch(batch); f.dispose();
    });

    itOn(`oracle 2 (${label}): non-first layers get the sum over j of ∇θ ℓ(x + η_j)`, async () => {
      const f = make();
      const batch = f.batch(1);
      const [m, n] = [3, 2];
      const seq = etas(f, batch, m, n, 0.02, 0.05);
      const run = yopoRun(f, batch, { outerSteps: m, innerSteps: n, stepSize: 0.02, epsilon: 0.05, randomStart: false });
      const first = new Set((f.view.layerOne?.variables ?? []).map((x) => x.name));
      for (const variable of f.view.variables.filter((x) => !first.has(x.name))) {
        const parts = seq.slice(0, m).map((eta, j) => pass(f, batch, eta, j > 0));
        const sum = tf.addN(parts.map((p) => p.grads[variable.name] as tf.Tensor));
        await expectClose(run.grads[variable.name] as tf.Tensor, sum, undefined, variable.name);
        tf.dispose([sum, ...parts.flatMap((p) => [p.z, ...Object.values(p.grads)])]);
      }
      tf.dispose([...seq, run.eta, ...Object.values(run.grads)]); disposeBatch(batch); f.dispose();
    });

    itOn(`oracle 4 (${label}): m = 1, n = 0, zero init gives the clean gradient, twice for layer one`, async () => {
      await twiceForLayerOne(make);
    });

    itOn(`oracle 4 (${label}): ‖η‖∞ ≤ ε and x + η in [0, 1] after the inner steps, from a random start`, async () => {
      const f = make();
      const batch = f.batch(2);
      const x = await values(batch.x);
      for (const [m, n] of [[1, 1], [1, 3], [2, 2]] as const) {
        const r = yopoRun(f, batch, { outerSteps: m, innerSteps: n, stepSize: 0.03, epsilon: 0.05 });
        (await values(r.eta)).forEach((e, i) => {
          expect(Math.abs(e)).toBeLessThanOrEqual(0.05 + 1e-7); // clamp(x + η) − x rounds (as in docs/strategies/pgd.md, oracle PGD 1)
          const moved = (x[i] as number) + e;
          expect(moved).toBeGreaterThanOrEqual(-1e-7);
          expect(moved).toBeLessThanOrEqual(1 + 1e-7);
        });
        tf.dispose([r.eta, ...Object.values(r.grads)]);
      }
      disposeBatch(batch); f.dispose();
    });

    itOn(`pass count (${label}): m full passes plus m·n + 1 layer-one passes (the extra θ0 terms but the last ride on the next full pass), one optimizer step`, async () => {
      const f = make();
      const optimizer = tf.train.sgd(0.1 / 5);
      const trainer = new Trainer(yopoPmp(), { view: f.view, optimizer, seed: 1 });
      const batch = f.batch(0);
      const report = await trainer.trainStep(batch);
      expect(report.passes).toEqual({ forward: 5, backward: 5, layerOneForward: 16, layerOneBackward: 16, optimizerSteps: 1 });
      expect(trainer.strategy.capabilities.passesPerBatch).toEqual({ full: 5, layerOne: 16 });
      disposeBatch(batch); trainer.dispose(); optimizer.dispose(); f.dispose();
    });
  });
}

async function twiceForLayerOne(make: () => Fixture): Promise<void> {
  const f = make();
  const batch = f.batch(0);
  const run = yopoRun(f, batch, { outerSteps: 1, innerSteps: 0, randomStart: false });
  const clean = pass(f, batch, null, false);
  const first = new Set((f.view.layerOne?.variables ?? []).map((x) => x.name));
  for (const variable of f.view.variables) {
    const want = tf.mul(clean.grads[variable.name] as tf.Tensor, first.has(variable.name) ? 2 : 1);
    await expectClose(run.grads[variable.name] as tf.Tensor, want, undefined, variable.name);
    want.dispose();
  }
  tf.dispose([run.eta, clean.z, ...Object.values(run.grads), ...Object.values(clean.grads)]);
  disposeBatch(batch); f.dispose();
}

describe('yopo-pmp on other views and variants', () => {
  it('oracle 3: layer one gets the sum plus Σ_j J_θ0 f0(clamp(x + η_{j+1}))ᵀ ∂ℓ/∂z|η_j (affine layer one)', async () => {
    const f = linearFirstLayerFixture();
    const batch = f.batch(3);
    const [m, n] = [3, 2];
    const seq = etas(f, batch, m, n, 0.02, 0.05);
    const run = yopoRun(f, batch, { outerSteps: m, innerSteps: n, stepSize: 0.02, epsilon: 0.05, randomStart: false });
    const [w1, b1] = f.variables as [tf.Variable, tf.Variable];
    const parts = seq.slice(0, m).map((eta, j) => pass(f, batch, eta, j > 0));
    const wantW = tf.addN(parts.map((p, j) => tf.add(p.grads[w1.name] as tf.Tensor,
      tf.matMul(tf.clipByValue(tf.add(batch.x, seq[j + 1] as tf.Tensor), 0, 1), p.z, true, false))));
    const wantB = tf.addN(parts.map((p) => tf.add(p.grads[b1.name] as tf.Tensor, tf.sum(p.z, 0))));
    await expectClose(run.grads[w1.name] as tf.Tensor, wantW, undefined, 'W1');
    await expectClose(run.grads[b1.name] as tf.Tensor, wantB, undefined, 'b1');
    tf.dispose([wantW, wantB, ...seq, run.eta, ...Object.values(run.grads), ...parts.flatMap((p) => [p.z, ...Object.values(p.grads)])]);
    disposeBatch(batch); f.dispose();
  });

  it('takes the layer-one split of a tf.LayersModel (oracle 4 on layersModelView)', async () => {
    await twiceForLayerOne(layersFixture);
  });

  it('yopoPmpNlp: 1 + m full passes, m·n layer-one passes, no extra layer-one term, loss ÷ (1 + m)', async () => {
    const f = mlpFixture();
    const batch = f.batch(0);
    const run = yopoRun(f, batch, { outerSteps: 1, innerSteps: 0, initMagnitude: 0 }, yopoPmpNlp);
    expect(run.passes).toEqual({ forward: 2, backward: 2, layerOneForward: 0, layerOneBackward: 0, optimizerSteps: 0 });
    const clean = pass(f, batch, null, false);
    for (const variable of f.variables) await expectClose(run.grads[variable.name] as tf.Tensor, clean.grads[variable.name] as tf.Tensor, undefined, variable.name);
    const full = yopoRun(f, batch, YOPO_PMP_NLP_PRESET, yopoPmpNlp);
    expect(full.passes).toMatchObject({ forward: 3, backward: 3, layerOneForward: 4, layerOneBackward: 4 });
    tf.dispose([run.eta, full.eta, clean.z, ...[run.grads, full.grads, clean.grads].flatMap((g) => Object.values(g))]);
    disposeBatch(batch); f.dispose();
  });
});
