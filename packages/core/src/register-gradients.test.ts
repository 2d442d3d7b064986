import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { clean } from './clean.js';
import { createStepContext } from './step-context.js';
import { FUSED_KERNELS, registerAdvtrainGradients } from './fused-kernels.js';
import { probe } from './probe.js';
import { disposeBatch, linearFixture } from './testing/index.js';
import { Trainer } from './trainer.js';

// The test backend was prepared by @advtrain/backends, which registers these gradients; every test
// starts from a registry without them, and the last one leaves them registered again.
const DIFFERENTIABLE = [FUSED_KERNELS.sumOfSquares, FUSED_KERNELS.scaledAdd];

function unregister(): void {
  for (const name of Object.values(FUSED_KERNELS)) if (tf.getGradient(name) !== undefined) tf.unregisterGradient(name);
}

const registered = (): string[] => Object.values(FUSED_KERNELS).filter((name) => tf.getGradient(name) !== undefined);

describe('registerAdvtrainGradients', () => {
  beforeEach(unregister);
  afterAll(registerAdvtrainGradients);

  it('importing @advtrain/core registers no gradient (its package.json declares sideEffects: false)', async () => {
    vi.resetModules();
    const core = await import('./index.js');
    expect(core.FUSED_KERNELS).toEqual(FUSED_KERNELS);
    expect(registered()).toEqual([]);
  });

  it('registers the gradients of the differentiable fused kernels, and a second call changes nothing', () => {
    registerAdvtrainGradients();
    expect(registered()).toEqual(DIFFERENTIABLE);
    const first = DIFFERENTIABLE.map((name) => tf.getGradient(name));
    registerAdvtrainGradients();
    expect(DIFFERENTIABLE.map((name) => tf.getGradient(name))).toEqual(first);
    DIFFERENTIABLE.forEach((name, i) => expect(tf.getGradient(name)).toBe(first[i]));
  });

  it('leaves a gradient registered by someone else as it is', () => {
    const own: tf.GradConfig = { kernelName: FUSED_KERNELS.scaledAdd, gradFunc: () => ({}) };
    tf.registerGradient(own);
    registerAdvtrainGradients();
    expect(tf.getGradient(FUSED_KERNELS.scaledAdd)).toBe(own);
    expect(tf.getGradient(FUSED_KERNELS.sumOfSquares)).toBeDefined();
  });

  it('a Trainer registers them when it is constructed', () => {
    const fixture = linearFixture();
    expect(registered()).toEqual([]);
    const trainer = new Trainer(clean(), { view: fixture.view, optimizer: tf.train.sgd(0.1) });
    expect(registered()).toEqual(DIFFERENTIABLE);
    trainer.dispose();
    fixture.dispose();
  });

  it('probe registers them before it differentiates', () => {
    const fixture = linearFixture();
    const batch = fixture.batch(0);
    const r = probe(createStepContext({ view: fixture.view, batch }), { wrtDelta: true });
    expect(registered()).toEqual(DIFFERENTIABLE);
    tf.dispose([r.loss, r.deltaGrad as tf.Tensor]);
    disposeBatch(batch);
    fixture.dispose();
  });
});
