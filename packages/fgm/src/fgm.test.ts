import {
  createStepContext, defaultLoss, disposeGrads, functionModel, inspectStep, l2Norm, probe, type AnyStrategy,
  type Batch, type GradMap, type LossFn, type ModelView,
} from '@advtrain/core';
import {
  conformanceCases, disposeBatch, embeddingFixture, expectClose, expectIdentical, linearFixture, values,
} from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FGM_SNIPPET_PRESET, fgm } from './index.js';

describe('fgm conformance', () => {
  const invalid: ReadonlyArray<readonly [unknown, string]> = [
    [{ epsilon: 0 }, 'epsilon'], [{ epsilon: Infinity }, 'epsilon'], [{ advWeight: -1 }, 'advWeight'],
    [{ scope: 'token' }, 'scope'], [{ eps: 1 }, 'eps'],
  ];
  const valid = [{}, FGM_SNIPPET_PRESET, { advWeight: 0 }, { epsilon: 0.5, scope: 'batch' as const }];
  for (const c of conformanceCases(fgm, { valid, invalid })) it(`[input] ${c.name}`, c.run);
  for (const c of conformanceCases(fgm, { fixture: 'embedding' })) it(`[embedding] ${c.name}`, c.run);
  for (const c of conformanceCases(fgm, { options: FGM_SNIPPET_PRESET, fixture: 'embedding' })) it(`[snippet] ${c.name}`, c.run);
});

type Step = { delta: tf.Tensor; loss: tf.Scalar; grads: GradMap };

/** One inner max + outer min on the batch (core's inspectStep), seed 7. */
function step(s: AnyStrategy, view: ModelView, batch: Batch, loss?: LossFn): Step {
  return inspectStep(s, { view, batch, seed: 7, ...(loss ? { loss } : {}) }) as Step;
}

const release = (r: Step): void => tf.dispose([r.delta, r.loss, ...Object.values(r.grads)]);

/** ‖δ_b‖₂ of each example, with core's norm. */
const exampleNorms = async (t: tf.Tensor): Promise<Float32Array> => values(tf.tidy(() => l2Norm(t, 'example')));

/** `a + w·b`, key by key, from two independent probes. */
async function expectSum(actual: GradMap, a: GradMap, b: GradMap, w: number): Promise<void> {
  for (const key of Object.keys(a)) {
    const expected = tf.add(a[key] as tf.Tensor, tf.mul(w, b[key] as tf.Tensor));
    await expectClose(actual[key] as tf.Tensor, expected, 1e-5, key);
    expected.dispose();
  }
}

describe('fgm oracles (docs/strategies/fgm.md, Tests)', () => {
  it('1: per example ‖δ_b‖₂ = ε (relative 1e-5) for any batch size, and δ_b does not depend on the batch', async () => {
    let first: Float32Array | null = null;
    for (const batchSize of [1, 3, 6]) {
      const fixture = embeddingFixture({ batchSize });
      const batch = fixture.batch(0);
      const r = step(fgm(), fixture.view, batch);
      for (const n of await exampleNorms(r.delta)) expect(Math.abs(n - 5) / 5).toBeLessThan(1e-5);
      const row = (await values(r.delta)).slice(0, 5 * 4);
      if (first) await expectClose(row, first, 1e-5, 'δ of example 0');
      else first = row;
      release(r);
      disposeBatch(batch);
      fixture.dispose();
    }
  });

  it('2: doubling the loss scale leaves δ unchanged', async () => {
    const fixture = embeddingFixture();
    const batch = fixture.batch(1);
    const doubled: LossFn = (logits, b) => tf.mul(2, defaultLoss(logits, b)) as tf.Scalar;
    const a = step(fgm(), fixture.view, batch);
    const b = step(fgm(), fixture.view, batch, doubled);
    await expectClose(b.delta, a.delta, 1e-5, 'δ');
    [a, b].forEach(release);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('the outer min is ∇ℓ(e) + advWeight·∇ℓ(e + δ) (clean term included)', async () => {
    const fixture = embeddingFixture();
    const batch = fixture.batch(0);
    const ctx = createStepContext({ view: fixture.view, batch });
    const r = step(fgm({ advWeight: 0.5 }), fixture.view, batch);
    const clean = probe(ctx, { wrtParams: true });
    const adv = probe(ctx, { delta: r.delta, wrtParams: true });
    await expectSum(r.grads, clean.paramGrads as GradMap, adv.paramGrads as GradMap, 0.5);
    const loss = tf.add(clean.loss, tf.mul(0.5, adv.loss));
    await expectClose(r.loss, loss, 1e-5, 'loss');
    tf.dispose([loss, clean.loss, adv.loss]);
    [clean.paramGrads, adv.paramGrads].forEach(disposeGrads);
    release(r);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('3: snippet preset: the Frobenius norm of the whole-batch shift is ε and the gradient is clean + adversarial', async () => {
    const fixture = embeddingFixture({ batchSize: 4 });
    const batch = fixture.batch(2);
    const ctx = createStepContext({ view: fixture.view, batch });
    const r = step(fgm(FGM_SNIPPET_PRESET), fixture.view, batch);
    const norms = await exampleNorms(r.delta);
    const frobenius = Math.sqrt(norms.reduce((s, n) => s + n * n, 0));
    expect(Math.abs(frobenius - 1)).toBeLessThan(1e-5);
    expect(norms.every((n) => n < 1)).toBe(true);
    const clean = probe(ctx, { wrtParams: true, wrtDelta: true });
    const direction = tf.div(clean.deltaGrad as tf.Tensor, tf.norm(clean.deltaGrad as tf.Tensor));
    await expectClose(r.delta, direction, 1e-5, 'δ = g/‖g‖_F');
    const adv = probe(ctx, { delta: r.delta, wrtParams: true });
    await expectSum(r.grads, clean.paramGrads as GradMap, adv.paramGrads as GradMap, 1);
    tf.dispose([direction, clean.loss, clean.deltaGrad as tf.Tensor, adv.loss]);
    [clean.paramGrads, adv.paramGrads].forEach(disposeGrads);
    release(r);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('3b: snippet preset skips the step when the batch norm is 0 or NaN', async () => {
    const fixture = embeddingFixture();
    const batch = fixture.batch(0);
    const constant: LossFn = (logits) => tf.mul(0, tf.sum(logits)) as tf.Scalar;
    const broken: LossFn = (logits) => tf.mul(Number.NaN, tf.sum(logits)) as tf.Scalar;
    for (const loss of [constant, broken]) {
      const r = step(fgm(FGM_SNIPPET_PRESET), fixture.view, batch, loss);
      const zeros = tf.zerosLike(r.delta);
      await expectIdentical(r.delta, zeros, 'δ');
      zeros.dispose();
      release(r);
    }
    disposeBatch(batch);
    fixture.dispose();
  });

  it('on input sites: per-example L2 over the pixels, ‖δ_b‖₂ = ε without a range and x + δ valid with one', async () => {
    const fixture = linearFixture();
    const [w, b] = fixture.variables as [tf.Variable, tf.Variable];
    const free = functionModel({ variables: [w, b], forward: (x) => tf.add(tf.matMul(x, w), b) });
    const batch = fixture.batch(0);
    const a = step(fgm({ epsilon: 0.1 }), free, batch);
    for (const n of await exampleNorms(a.delta)) expect(Math.abs(n - 0.1) / 0.1).toBeLessThan(1e-5);
    const c = step(fgm({ epsilon: 1 }), fixture.view, batch);
    for (const v of await values(tf.add(batch.x, c.delta))) expect(v >= 0 && v <= 1).toBe(true);
    for (const n of await exampleNorms(c.delta)) expect(n).toBeLessThanOrEqual(1 + 1e-6);
    [a, c].forEach(release);
    disposeBatch(batch);
    fixture.dispose();
  });

  it('costs 2 forward and 2 backward passes per step (1 each with advWeight 0)', async () => {
    const fixture = embeddingFixture();
    const batch = fixture.batch(0);
    for (const [options, passes] of [[{}, 2], [FGM_SNIPPET_PRESET, 2], [{ advWeight: 0 }, 1]] as const) {
      const strategy = fgm(options);
      const r = inspectStep(strategy, { view: fixture.view, batch });
      expect(r.passes).toMatchObject({ forward: passes, backward: passes });
      expect(strategy.capabilities.passesPerBatch.full).toBe(passes);
      release(r as Step);
    }
    disposeBatch(batch);
    fixture.dispose();
  });
});

describe('fgm options', () => {
  it('has Miyato defaults and rejects bad options with a clear message', () => {
    expect(fgm().options).toEqual({ epsilon: 5, advWeight: 1, scope: 'example' });
    expect(fgm(FGM_SNIPPET_PRESET).capabilities.threat).toEqual({ norm: 'l2', epsilon: 1 });
    expect(() => fgm({ advWeight: -1 })).toThrow('@advtrain/fgm: option "advWeight" must be a finite number >= 0 (received -1).');
    expect(() => fgm({ scope: 'token' } as never)).toThrow('@advtrain/fgm: option "scope" must be one of "example", "batch" (received "token").');
  });
});
