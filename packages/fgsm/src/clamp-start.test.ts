import { createRng, defaultLoss, inspectStep, mixSeed, randomUniform, type Batch } from '@advtrain/core';
import { disposeBatch, expectClose, mlpFixture, values } from '@advtrain/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FGSM_RS_CIFAR_PRESET, FGSM_RS_MNIST_PRESET, FGSM_RS_PRESET, fgsm } from './index.js';

/** The salt fgsm mixes into the run seed for its random start (white-box: the oracle redraws δ₀). */
const SALT = 0xf65;

describe('fgsm clampStart', () => {
  it('false: the gradient is taken at the unclamped x + δ₀ and only the final δ is clamped (MNIST recipe)', async () => {
    const fixture = mlpFixture({ batchSize: 6 });
    const raw = fixture.batch(1);
    // MNIST-like input: about half of the pixels exactly 0, where a clamped start loses half of δ₀.
    const batch: Batch = { x: tf.tidy(() => tf.mul(raw.x, tf.cast(tf.greater(raw.x, 0.5), 'float32'))), y: raw.y };
    const [eps, a] = [0.3, 0.375];
    const [u] = randomUniform(createRng(mixSeed(0, SALT)), batch.x.shape, -eps, eps);
    const gradAt = (start: tf.Tensor): tf.Tensor =>
      tf.grad((d: tf.Tensor) => defaultLoss(fixture.view.forward(batch, d, { training: true }), batch))(start);
    const finish = (start: tf.Tensor): tf.Tensor => tf.tidy(() => {
      const d = tf.clipByValue(tf.add(start, tf.mul(a, tf.sign(gradAt(start)))), -eps, eps);
      return tf.sub(tf.clipByValue(tf.add(batch.x, d), 0, 1), batch.x);
    });
    const unclamped = finish(u);
    const clampedStart = tf.tidy(() => tf.sub(tf.clipByValue(tf.add(batch.x, u), 0, 1), batch.x));
    const clamped = finish(clampedStart);

    const mnist = inspectStep(fgsm(FGSM_RS_MNIST_PRESET), { view: fixture.view, batch, seed: 0 });
    const cifarLike = inspectStep(fgsm({ ...FGSM_RS_MNIST_PRESET, clampStart: true }), { view: fixture.view, batch, seed: 0 });
    await expectClose(mnist.delta as tf.Tensor, unclamped, 1e-6);
    await expectClose(cifarLike.delta as tf.Tensor, clamped, 1e-6);
    // The two starts give different perturbations on this input, so the option matters.
    const gap = await values(tf.tidy(() => tf.max(tf.abs(tf.sub(unclamped, clamped)))));
    expect(gap[0]).toBeGreaterThan(0.1);

    for (const r of [mnist, cifarLike]) tf.dispose([r.delta as tf.Tensor, r.loss, ...Object.values(r.grads)]);
    tf.dispose([u, unclamped, clampedStart, clamped, batch.x]);
    disposeBatch(raw);
    fixture.dispose();
  });

  it('presets follow their recipes; FGSM_RS_PRESET is the MNIST one', () => {
    expect(fgsm(FGSM_RS_MNIST_PRESET).options).toEqual({
      epsilon: 0.3, alpha: 0, stepSize: 0.375, randomStart: true, clampStart: false, labelSource: 'true',
    });
    expect(fgsm(FGSM_RS_CIFAR_PRESET).options).toMatchObject({ epsilon: 8 / 255, stepSize: 10 / 255, clampStart: true, alpha: 0 });
    expect(FGSM_RS_PRESET).toBe(FGSM_RS_MNIST_PRESET);
    expect(() => fgsm({ clampStart: 0 } as never)).toThrow('@advtrain/fgsm: option "clampStart" must be true or false (received 0).');
  });
});
