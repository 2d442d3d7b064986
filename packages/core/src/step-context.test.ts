import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GradMap } from './grad-map.js';
import { defaultLoss, meanSquaredError } from './losses.js';
import { PassCounter } from './pass-counter.js';
import { createStepContext } from './step-context.js';
import { disposeBatch, linearFixture, type Fixture } from './testing/index.js';
import type { Batch } from './views/types.js';

describe('createStepContext', () => {
  let fixture: Fixture;
  let batch: Batch;
  beforeEach(() => {
    fixture = linearFixture();
    batch = fixture.batch(0);
  });
  afterEach(() => {
    disposeBatch(batch);
    fixture.dispose();
  });

  it('fills the defaults: default loss, a fresh pass counter, step 0, no ε scale', () => {
    const ctx = createStepContext({ view: fixture.view, batch });
    expect(ctx.view).toBe(fixture.view);
    expect(ctx.batch).toBe(batch);
    expect(ctx.loss).toBe(defaultLoss);
    expect(ctx.passes).toBeInstanceOf(PassCounter);
    expect(ctx.passes.snapshot().forward).toBe(0);
    expect(ctx.step).toBe(0);
    expect('epsilonScale' in ctx).toBe(false);
  });

  it('keeps what it is given', () => {
    const passes = new PassCounter();
    const applied: GradMap[] = [];
    const ctx = createStepContext({
      view: fixture.view, batch, loss: meanSquaredError, passes, step: 7, epsilonScale: 0.5,
      applyGradients: (g) => { applied.push(g); },
    });
    expect(ctx.loss).toBe(meanSquaredError);
    expect(ctx.passes).toBe(passes);
    expect(ctx.step).toBe(7);
    expect(ctx.epsilonScale).toBe(0.5);
    ctx.applyGradients({});
    expect(applied).toHaveLength(1);
  });

  it('leaves the ε scale out when it is null', () => {
    expect('epsilonScale' in createStepContext({ view: fixture.view, batch, epsilonScale: null })).toBe(false);
  });

  it('refuses to step the optimizer without applyGradients, with the given message', () => {
    const ctx = createStepContext({ view: fixture.view, batch, refusal: 'evaluation never steps the optimizer.' });
    const grads = { w: tf.zeros([1]) };
    expect(() => ctx.applyGradients(grads)).toThrow(expect.objectContaining({
      code: 'ADVTRAIN_UNSUPPORTED', message: 'evaluation never steps the optimizer.',
    }));
    expect(() => createStepContext({ view: fixture.view, batch }).applyGradients(grads))
      .toThrow(expect.objectContaining({ code: 'ADVTRAIN_UNSUPPORTED' }));
    tf.dispose(grads.w);
  });
});
