import {
  createStepContext, disposeGrads, functionModel, inspectStep, l2Norm, type AnyStrategy, type Batch,
  type ForwardOptions, type GradMap, type LossFn, type ModelView,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, embeddingFixture, expectClose, linearFixture, mlpFixture, values,
} from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PGD_L2_PRESET, PGD_NLP_PRESET, pgd, type PgdOptions } from './index.js';

describe('pgd conformance', () => {
  const invalid: ReadonlyArray<readonly [unknown, string]> = [
    [{ steps: 0 }, 'steps'], [{ steps: 1.5 }, 'steps'], [{ norm: 'l1' }, 'norm'], [{ epsilon: -1 }, 'epsilon'],
    [{ epsilon: 0 }, 'epsilon'], [{ epsilon: 0, norm: 'l2' }, 'epsilon'], [{ stepSize: 0 }, 'stepSize'],
    [{ initMagnitude: -1 }, 'initMagnitude'], [{ attackMode: 'eval' }, 'attackMode'], [{ randomStart: 1 }, 'randomStart'],
    [{ step: 3 }, 'step'],
  ];
  const valid: PgdOptions[] = [{}, PGD_L2_PRESET, PGD_NLP_PRESET, { ...PGD_NLP_PRESET, epsilon: 0 },
    { steps: 1, randomStart: false }, { attackMode: 'inference' }];
  for (const c of conformanceCases(pgd, { valid, invalid })) it(c.name, c.run);
  for (const c of conformanceCases(pgd, { options: { ...PGD_L2_PRESET, steps: 5 } })) it(`[L2] ${c.name}`, c.run);
  for (const c of conformanceCases(pgd, { options: PGD_NLP_PRESET, fixture: 'embedding' })) it(`[NLP] ${c.name}`, c.run);
});

type Step = { delta: tf.Tensor; loss: tf.Scalar; grads: GradMap };

/** One inner max + outer min on the batch (core's inspectStep), seed 11. */
function step(s: AnyStrategy, view: ModelView, batch: Batch, loss?: LossFn): Step {
  return inspectStep(s, { view, batch, seed: 11, ...(loss ? { loss } : {}) }) as Step;
}

const release = (r: Step): void => tf.dispose([r.delta, r.loss, ...Object.values(r.grads)]);

/** ‖δ_b‖₂ of each example, with core's norm. */
const exampleNorms = async (t: tf.Tensor): Promise<Float32Array> => values(tf.tidy(() => l2Norm(t, 'example')));

describe('pgd oracles (docs/strategies/pgd.md, Tests)', () => {
  it('1: at every step ‖δ‖∞ ≤ ε + 1e-7 and 0 ≤ x + δ ≤ 1', async () => {
    const fixture = mlpFixture();
    const batch = fixture.batch(1);
    for (let steps = 1; steps <= 6; steps++) {
      // A run of K steps is the first K iterates of a longer run (same seed, weights unchanged by the attack).
      const r = step(pgd({ epsilon: 0.3, stepSize: 0.1, steps }), fixture.view, batch);
      for (const v of await values(r.delta)) expect(Math.abs(v)).toBeLessThanOrEqual(0.3 + 1e-7);
      for (const v of await values(tf.add(batch.x, r.delta))) expect(v >= 0 && v <= 1).toBe(true);
      release(r);
    }
    disposeBatch(batch);
    fixture.dispose();
  });

  it('3: L2 preset keeps ‖δ_b‖₂ ≤ ε for every example', async () => {
    const fixture = mlpFixture({ batchSize: 7 });
    const batch = fixture.batch(0);
    for (const options of [PGD_L2_PRESET, { ...PGD_L2_PRESET, epsilon: 0.5, stepSize: 0.2, steps: 6 }]) {
      const r = step(pgd(options), fixture.view, batch);
      for (const n of await exampleNorms(r.delta)) expect(n).toBeLessThanOrEqual(options.epsilon * (1 + 1e-6));
      for (const v of await values(tf.add(batch.x, r.delta))) expect(v >= 0 && v <= 1).toBe(true);
      release(r);
    }
    disposeBatch(batch);
    fixture.dispose();
  });

  it('3: the L2 random start lies inside the ball (on its sphere in 8 dimensions)', async () => {
    const w = tf.variable(tf.zeros([8, 3]));
    const b = tf.variable(tf.zeros([3]));
    const view = functionModel({ variables: [w, b], forward: (x) => tf.add(tf.matMul(x, w), b) });
    const batch = { x: tf.fill([6, 8], 0.5), y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32') };
    // The gradient is zero, so the single step leaves δ₀ where it is.
    const r = step(pgd({ norm: 'l2', epsilon: 0.5, stepSize: 0.1, steps: 1 }), view, batch);
    for (const n of await exampleNorms(r.delta)) {
      expect(n).toBeLessThanOrEqual(0.5 * (1 + 1e-6));
      expect(n).toBeGreaterThan(0.5 * (1 - 1e-5));
    }
    release(r);
    disposeBatch(batch);
    tf.dispose([w, b]);
  });

  it('4: the weight gradient is that of ℓ(x + δ_K) alone: no clean term, no dependence on earlier iterates', async () => {
    const fixture = linearFixture();
    const [w, bias] = fixture.variables as [tf.Variable, tf.Variable];
    const batch = fixture.batch(0);
    const ctx = createStepContext({ view: fixture.view, batch });
    const closedForm = (delta: tf.Tensor) => tf.tidy(() => {
      const x = tf.add(batch.x, delta);
      const r = tf.div(tf.sub(tf.softmax(tf.add(tf.matMul(x, w), bias)), tf.oneHot(tf.cast(batch.y, 'int32'), 3)), 4);
      return { dw: tf.matMul(x, r, true, false), db: tf.sum(r, 0) };
    });
    const s = pgd({ epsilon: 0.3, stepSize: 0.05, steps: 5 });
    const r = step(s, fixture.view, batch);
    const expected = closedForm(r.delta);
    await expectClose(r.grads[w.name] as tf.Tensor, expected.dw, 1e-5, '∂L/∂W');
    await expectClose(r.grads[bias.name] as tf.Tensor, expected.db, 1e-5, '∂L/∂b');
    // The same δ_K reached from another history (other random stream, other iterates) gives the same gradient.
    const other = s.outerMin(ctx, { delta: tf.clone(r.delta), state: { rng: { seed: 99, counter: 40 } } });
    await expectClose(other.grads?.[w.name] as tf.Tensor, expected.dw, 1e-5, '∂L/∂W from another history');
    tf.dispose([expected.dw, expected.db, other.loss]);
    disposeGrads(other.grads);
    release(r);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('cost: K + 1 forward and K + 1 backward passes, and only the last one forms parameter gradients', async () => {
    const fixture = mlpFixture();
    let paramPasses = 0;
    const spy = Object.create(fixture.view, {
      variables: { get: () => { paramPasses += 1; return fixture.view.variables; } },
    }) as ModelView;
    const batch = fixture.batch(0);
    const ctx = createStepContext({ view: spy, batch });
    const s = pgd({ steps: 3 });
    const inner = s.innerMax(ctx, s.init({ view: spy, seed: 1 }));
    expect(paramPasses).toBe(0);
    expect(ctx.passes.snapshot()).toMatchObject({ forward: 3, backward: 3 });
    const outer = s.outerMin(ctx, inner);
    expect(paramPasses).toBe(1);
    expect(ctx.passes.snapshot()).toMatchObject({ forward: 4, backward: 4 });
    expect(s.capabilities.passesPerBatch.full).toBe(4);
    outer.loss.dispose();
    disposeGrads(outer.grads);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('attackMode chooses the mode of the attack passes; the training pass is always in training mode', async () => {
    for (const attackMode of ['train', 'inference'] as const) {
      const fixture = mlpFixture();
      const modes: boolean[] = [];
      const spy: ModelView = {
        ...fixture.view,
        forward: (b: Batch, d: tf.Tensor | null, o?: ForwardOptions) => { modes.push(o?.training ?? true); return fixture.view.forward(b, d, o); },
      };
      const batch = fixture.batch(0);
      const r = step(pgd({ steps: 2, attackMode }), spy, batch);
      expect(modes).toEqual([attackMode === 'train', attackMode === 'train', true]);
      release(r);
      disposeBatch(batch);
      fixture.dispose();
    }
  });

  it('NLP preset: masked start, δ stays 0 on padding and ‖δ_b‖₂ ≤ max norm; epsilon 0 means no projection', async () => {
    const fixture = embeddingFixture({ batchSize: 3, seqLen: 6 });
    const batch = fixture.batch(0);
    const mask = await values(fixture.view.siteMask(batch) as tf.Tensor);
    for (const steps of [1, 3]) {
      const r = step(pgd({ ...PGD_NLP_PRESET, steps }), fixture.view, batch);
      const d = await values(r.delta);
      mask.forEach((m, token) => { if (m === 0) for (let h = 0; h < 4; h++) expect(Math.abs(d[token * 4 + h] as number)).toBe(0); });
      for (const n of await exampleNorms(r.delta)) expect(n).toBeLessThanOrEqual(0.4 * (1 + 1e-6));
      release(r);
    }
    const unbounded = pgd({ ...PGD_NLP_PRESET, epsilon: 0, stepSize: 1 });
    expect(unbounded.capabilities.threat).toEqual({ norm: 'none', epsilon: null });
    const r = step(unbounded, fixture.view, batch);
    for (const n of await exampleNorms(r.delta)) expect(n).toBeGreaterThan(2);
    release(r);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('draws one random tensor per step from a checkpointable stream', async () => {
    const fixture = mlpFixture();
    const batch = fixture.batch(0);
    const s = pgd({ steps: 2 });
    const state = s.init({ view: fixture.view, seed: 5 });
    const inner = s.innerMax(createStepContext({ view: fixture.view, batch }), state);
    expect(inner.state.rng.counter).toBe(state.rng.counter + 1);
    const saved = await s.serialize(inner.state);
    expect(s.restore(JSON.parse(JSON.stringify(saved)), { view: fixture.view, seed: 5 })).toEqual(inner.state);
    const noStart = pgd({ steps: 2, randomStart: false });
    const plain = noStart.innerMax(createStepContext({ view: fixture.view, batch }), state);
    expect(plain.state).toEqual(state);
    tf.dispose([inner.delta as tf.Tensor, plain.delta as tf.Tensor]);
    disposeBatch(batch);
    fixture.dispose();
  });
});

describe('pgd options', () => {
  it('has the Madry MNIST defaults and clear errors', () => {
    expect(pgd().options).toEqual({
      epsilon: 0.3, stepSize: 0.01, steps: 40, norm: 'linf', randomStart: true, initMagnitude: null, attackMode: 'train',
      earlyStop: false,
    });
    expect(pgd(PGD_L2_PRESET).capabilities.threat).toEqual({ norm: 'l2', epsilon: 2 });
    expect(() => pgd({ steps: 0 })).toThrow('@advtrain/pgd: option "steps" must be an integer >= 1 (received 0).');
    expect(() => pgd({ epsilon: 0 })).toThrow('@advtrain/pgd: option "epsilon" must be a finite number > 0 when norm is "linf" (received 0).');
    expect(() => pgd({ norm: 'l1' } as never)).toThrow('@advtrain/pgd: option "norm" must be one of "linf", "l2" (received "l1").');
    expect(() => pgd({ stepsize: 0.1 } as never)).toThrow(/unknown option "stepsize".*Did you mean "stepSize"\?/);
  });
});
