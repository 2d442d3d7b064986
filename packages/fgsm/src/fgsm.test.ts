import {
  Trainer, disposeGrads, functionModel, inspectStep, type AnyStrategy, type Batch, type GradMap, type LossFn, type ModelView,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, expectClose, expectIdentical, linearFixture, mlpFixture, values,
} from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FGSM_RS_PRESET, fgsm } from './index.js';

const invalid: ReadonlyArray<readonly [unknown, string]> = [
  [{ epsilon: 0 }, 'epsilon'], [{ epsilon: Number.NaN }, 'epsilon'], [{ alpha: 1.5 }, 'alpha'], [{ alpha: '0.5' }, 'alpha'],
  [{ stepSize: -1 }, 'stepSize'], [{ randomStart: 'yes' }, 'randomStart'], [{ labelSource: 'guess' }, 'labelSource'],
  [{ epsilion: 0.1 }, 'epsilion'],
];

describe('fgsm conformance', () => {
  const valid = [{}, { alpha: 0 }, { alpha: 1 }, { labelSource: 'predicted' as const }, { randomStart: true }, FGSM_RS_PRESET];
  for (const c of conformanceCases(fgsm, { valid, invalid })) it(c.name, c.run);
  for (const c of conformanceCases(fgsm, { options: FGSM_RS_PRESET })) it(`[FGSM-RS] ${c.name}`, c.run);
  for (const c of conformanceCases(fgsm, { options: { labelSource: 'predicted' }, fixture: 'linear' })) it(`[predicted] ${c.name}`, c.run);
});

type Step = { delta: tf.Tensor; loss: tf.Scalar; grads: GradMap };

/** One inner max + outer min on the batch (core's inspectStep), seed 7. */
function step(s: AnyStrategy, view: ModelView, batch: Batch, loss?: LossFn): Step {
  return inspectStep(s, { view, batch, seed: 7, ...(loss ? { loss } : {}) }) as Step;
}

const release = (r: Step): void => tf.dispose([r.delta, r.loss, ...Object.values(r.grads)]);

/** Softmax regression in closed form: ∂L/∂x = (p − Y)Wᵀ/B, ∂L/∂W = xᵀ(p − Y)/B, ∂L/∂b = Σ(p − Y)/B. */
function closedForm(w: tf.Tensor, b: tf.Tensor, x: tf.Tensor, labels: tf.Tensor) {
  return tf.tidy(() => {
    const logits = tf.add(tf.matMul(x, w), b);
    const r = tf.div(tf.sub(tf.softmax(logits), tf.oneHot(tf.cast(labels, 'int32'), w.shape[1] as number)), x.shape[0] as number);
    return { dx: tf.matMul(r, w, false, true), dw: tf.matMul(x, r, true, false), db: tf.sum(r, 0) };
  });
}

function linearSetup(validRange: readonly [number, number] | null) {
  const fixture = linearFixture();
  const [w, b] = fixture.variables as [tf.Variable, tf.Variable];
  const view = functionModel({ variables: [w, b], validRange, forward: (x) => tf.add(tf.matMul(x, w), b) });
  const batch = fixture.batch(0);
  return { w, b, view, batch, done: () => { disposeBatch(batch); fixture.dispose(); } };
}

describe('fgsm oracles (docs/strategies/fgsm.md, Tests)', () => {
  it('1: on a linear model δ = ε·sign(∇ₓℓ) exactly, and every coordinate with non-zero gradient moves by ε', async () => {
    const { w, b, view, batch, done } = linearSetup(null);
    const { dx } = closedForm(w, b, batch.x, batch.y);
    const r = step(fgsm({ epsilon: 0.25 }), view, batch);
    const expected = tf.mul(0.25, tf.sign(dx));
    await expectIdentical(r.delta, expected, 'δ');
    const d = await values(r.delta);
    const g = await values(dx);
    g.forEach((gi, i) => { if (gi !== 0) expect(Math.abs(d[i] as number)).toBe(Math.fround(0.25)); });
    expect(Math.max(...d.map(Math.abs))).toBe(Math.fround(0.25));
    tf.dispose([dx, expected, r.delta, r.loss]);
    disposeGrads(r.grads);
    done();
  });

  it('2: after range clamping lo ≤ x + δ ≤ hi, also when ε is large enough to clamp', async () => {
    for (const epsilon of [0.25, 0.6]) {
      const { view, batch, done } = linearSetup([0, 1]);
      const r = step(fgsm({ epsilon }), view, batch);
      const moved = await values(tf.add(batch.x, r.delta));
      for (const v of moved) expect(v >= 0 && v <= 1).toBe(true);
      release(r);
      done();
    }
  });

  it('3: α = 1 gives the clean weight gradient, α = 0 the gradient at x + δ, α = 0.5 their mean', async () => {
    const { w, b, view, batch, done } = linearSetup([0, 1]);
    const clean = closedForm(w, b, batch.x, batch.y);
    const delta = tf.tidy(() => tf.sub(tf.clipByValue(tf.add(batch.x, tf.mul(0.25, tf.sign(clean.dx))), 0, 1), batch.x));
    const xAdv = tf.add(batch.x, delta);
    const adv = closedForm(w, b, xAdv, batch.y);
    for (const [alpha, cw] of [[1, 1], [0, 0], [0.5, 0.5]] as const) {
      const r = step(fgsm({ alpha }), view, batch);
      await expectIdentical(r.delta, delta, `δ (α = ${alpha})`);
      const ew = tf.add(tf.mul(cw, clean.dw), tf.mul(1 - cw, adv.dw));
      const eb = tf.add(tf.mul(cw, clean.db), tf.mul(1 - cw, adv.db));
      await expectClose(r.grads[w.name] as tf.Tensor, ew, 1e-5, `∂L/∂W (α = ${alpha})`);
      await expectClose(r.grads[b.name] as tf.Tensor, eb, 1e-5, `∂L/∂b (α = ${alpha})`);
      tf.dispose([ew, eb, r.delta, r.loss]);
      disposeGrads(r.grads);
    }
    tf.dispose([delta, xAdv, ...Object.values(clean), ...Object.values(adv)]);
    done();
  });

  it('4: a zero-initialised final layer gives δ = 0 on the first call', async () => {
    const fixture = mlpFixture();
    const [w1, b1] = fixture.variables as [tf.Variable, tf.Variable];
    const w2 = tf.variable(tf.zeros([6, 3]));
    const b2 = tf.variable(tf.zeros([3]));
    const view = functionModel({
      variables: [w1, b1, w2, b2], validRange: [0, 1],
      forward: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2),
    });
    const batch = fixture.batch(0);
    const r = step(fgsm(), view, batch);
    const zeros = tf.zerosLike(r.delta);
    await expectIdentical(r.delta, zeros, 'δ');
    tf.dispose([zeros, r.delta, r.loss, w2, b2]);
    disposeGrads(r.grads);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('labelSource "predicted" steps along the gradient of the loss against the predicted class', async () => {
    const { w, b, view, batch, done } = linearSetup(null);
    const predicted = tf.tidy(() => tf.argMax(tf.add(tf.matMul(batch.x, w), b), -1));
    const { dx, dw, db } = closedForm(w, b, batch.x, predicted);
    const r = step(fgsm({ labelSource: 'predicted', alpha: 0 }), view, batch);
    const expected = tf.mul(0.25, tf.sign(dx));
    await expectIdentical(r.delta, expected, 'δ');
    tf.dispose([predicted, dx, dw, db, expected, r.delta, r.loss]);
    disposeGrads(r.grads);
    done();
  });
});

describe('FGSM-RS oracles (docs/strategies/fgsm.md, Tests)', () => {
  it('1: ‖δ‖∞ ≤ ε and lo ≤ x + δ ≤ hi', async () => {
    const fixture = mlpFixture();
    for (let i = 0; i < 3; i++) {
      const batch = fixture.batch(i);
      const r = step(fgsm(FGSM_RS_PRESET), fixture.view, batch);
      const d = await values(r.delta);
      const moved = await values(tf.add(batch.x, r.delta));
      for (const v of d) expect(Math.abs(v)).toBeLessThanOrEqual(0.3 + 1e-7);
      for (const v of moved) expect(v >= 0 && v <= 1).toBe(true);
      release(r);
      disposeBatch(batch);
    }
    fixture.dispose();
  });

  it('2: with step 1.25ε every unclamped coordinate with non-zero gradient has sign(δ) = sign(g) and |δ| ≥ 0.25ε', async () => {
    // ℓ = mean of the logits of a linear model: the input gradient is the same at every start point.
    const { w, view, batch, done } = linearSetup([0, 1]);
    const linearLoss: LossFn = (logits) => tf.mean(tf.sum(logits, -1)) as tf.Scalar;
    const g = await values(tf.tidy(() => tf.tile(tf.reshape(tf.sum(w, 1), [1, -1]), [batch.x.shape[0] as number, 1])));
    const r = step(fgsm(FGSM_RS_PRESET), view, batch, linearLoss);
    const d = await values(r.delta);
    const x = await values(batch.x);
    let checked = 0;
    d.forEach((di, i) => {
      const v = (x[i] as number) + di;
      if (g[i] === 0 || v <= 0 || v >= 1) return;
      checked += 1;
      expect(Math.sign(di)).toBe(Math.sign(g[i] as number));
      expect(Math.abs(di)).toBeGreaterThanOrEqual(0.25 * 0.3 - 1e-7);
    });
    expect(checked).toBeGreaterThan(d.length / 2);
    release(r);
    done();
  });

  it('3: a zero start with step ε and no clean term is plain FGSM without the clean term', async () => {
    const { view, batch, done } = linearSetup([0, 1]);
    const a = step(fgsm({ ...FGSM_RS_PRESET, randomStart: false, stepSize: 0.3 }), view, batch);
    const b = step(fgsm({ epsilon: 0.3, alpha: 0 }), view, batch);
    await expectIdentical(a.delta, b.delta, 'δ');
    for (const key of Object.keys(b.grads)) await expectIdentical(a.grads[key] as tf.Tensor, b.grads[key] as tf.Tensor, key);
    tf.dispose([a.delta, a.loss, b.delta, b.loss]);
    [a.grads, b.grads].forEach(disposeGrads);
    done();
  });

  it('4 and cost: exactly 2 forward and 2 backward passes per step (3 when the clean term needs its own pass)', async () => {
    const cases: Array<[object, number]> = [
      [{}, 2], [FGSM_RS_PRESET, 2], [{ alpha: 0 }, 2], [{ labelSource: 'predicted' }, 3], [{ randomStart: true, alpha: 0.5 }, 3], [{ alpha: 1 }, 1],
    ];
    for (const [options, passes] of cases) {
      const fixture = mlpFixture();
      const strategy = fgsm(options);
      const trainer = new Trainer(strategy, { view: fixture.view, optimizer: tf.train.sgd(0.1), seed: 3 });
      const batch = fixture.batch(0);
      const r = trainer.gradients(batch);
      expect(r.passes, JSON.stringify(options)).toMatchObject({ forward: passes, backward: passes, optimizerSteps: 0 });
      expect(strategy.capabilities.passesPerBatch.full).toBe(passes);
      r.loss.dispose();
      disposeGrads(r.grads);
      trainer.dispose();
      disposeBatch(batch);
      fixture.dispose();
    }
  });
});

describe('fgsm options', () => {
  it('resolves the automatic defaults from randomStart', () => {
    expect(fgsm().options).toEqual({
      epsilon: 0.25, alpha: 0.5, stepSize: 0.25, randomStart: false, clampStart: true, labelSource: 'true',
    });
    expect(fgsm({ randomStart: true, epsilon: 0.2 }).options).toMatchObject({ alpha: 0, stepSize: 0.25 });
    expect(fgsm({ randomStart: true, alpha: 0.3, stepSize: 0.1 }).options).toMatchObject({ alpha: 0.3, stepSize: 0.1 });
    expect(fgsm(FGSM_RS_PRESET).toString()).toBe('fgsm(epsilon=0.3, alpha=0, stepSize=0.375, randomStart=true, clampStart=false, labelSource=true)');
  });

  it('rejects bad options with a message naming the package, option, constraint and value', () => {
    expect(() => fgsm({ alpha: 1.5 })).toThrow('@advtrain/fgsm: option "alpha" must be null (automatic) or a number from 0 to 1 (received 1.5).');
    expect(() => fgsm({ epsilon: -0.1 })).toThrow('@advtrain/fgsm: option "epsilon" must be a finite number > 0 (received -0.1).');
    expect(() => fgsm({ labelSource: 'guess' } as never)).toThrow('@advtrain/fgsm: option "labelSource" must be one of "true", "predicted" (received "guess").');
    expect(() => fgsm({ epsilion: 0.1 } as never)).toThrow(/unknown option "epsilion".*Did you mean "epsilon"\?/);
  });

  it('checkpoints the random stream and refuses malformed state', async () => {
    const fixture = mlpFixture();
    const s = fgsm(FGSM_RS_PRESET);
    const batch = fixture.batch(0);
    const r = step(s, fixture.view, batch);
    const saved = await s.serialize({ rng: { seed: 5, counter: 2 } });
    expect(saved).toEqual({ strategy: 'fgsm', specVersion: 1, data: { rng: { seed: 5, counter: 2 } } });
    expect(s.restore(saved, { view: fixture.view, seed: 0 })).toEqual({ rng: { seed: 5, counter: 2 } });
    expect(() => s.restore({ ...saved, data: { rng: 'x' } }, { view: fixture.view, seed: 0 })).toThrow(/cannot restore state/);
    release(r);
    disposeBatch(batch);
    fixture.dispose();
  });
});
