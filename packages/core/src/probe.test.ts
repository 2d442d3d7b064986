import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepContext } from './contract.js';
import { defaultLoss } from './losses.js';
import { PassCounter } from './pass-counter.js';
import { probe, probeLayerOne } from './probe.js';
import { disposeBatch, expectClose, linearFixture, mlpFixture, type Fixture } from './testing/index.js';

function context(fixture: Fixture): StepContext {
  return {
    view: fixture.view, batch: fixture.batch(0), loss: defaultLoss, passes: new PassCounter(), step: 0,
    applyGradients: () => undefined,
  };
}

describe('probe', () => {
  let fixture: Fixture;
  let ctx: StepContext;
  beforeEach(() => {
    fixture = linearFixture();
    ctx = context(fixture);
  });
  afterEach(() => {
    disposeBatch(ctx.batch);
    fixture.dispose();
  });

  it('gives ∂L/∂δ = (softmax(z) − y) Wᵀ / B for softmax regression (closed form)', async () => {
    const [w, b] = fixture.variables as [tf.Variable, tf.Variable];
    const { x, y } = ctx.batch;
    const expected = tf.tidy(() => {
      const p = tf.softmax(tf.add(tf.matMul(x, w), b));
      const onehot = tf.oneHot(tf.cast(y, 'int32'), 3);
      return tf.div(tf.matMul(tf.sub(p, onehot), w, false, true), x.shape[0] as number);
    });
    const r = probe(ctx, { wrtDelta: true });
    await expectClose(r.deltaGrad as tf.Tensor, expected);
    tf.dispose([expected, r.loss, r.deltaGrad as tf.Tensor]);
  });

  it('gives ∂L/∂W = xᵀ (softmax − y) / B and ∂L/∂δ from the same single pass', async () => {
    const [w, b] = fixture.variables as [tf.Variable, tf.Variable];
    const { x, y } = ctx.batch;
    const delta = tf.fill(x.shape, 0.05);
    const expected = tf.tidy(() => {
      const xd = tf.add(x, delta);
      const p = tf.softmax(tf.add(tf.matMul(xd, w), b));
      return tf.div(tf.matMul(xd, tf.sub(p, tf.oneHot(tf.cast(y, 'int32'), 3)), true, false), x.shape[0] as number);
    });
    const r = probe(ctx, { delta, wrtDelta: true, wrtParams: true });
    await expectClose(r.paramGrads?.[w.name] as tf.Tensor, expected);
    expect(ctx.passes.snapshot()).toMatchObject({ forward: 1, backward: 1 });
    expect(r.deltaGrad?.shape).toEqual(x.shape);
    tf.dispose([expected, delta, r.loss, r.deltaGrad as tf.Tensor, ...Object.values(r.paramGrads ?? {})]);
  });

  it('scales the objective before differentiation but reports the unscaled loss', async () => {
    const a = probe(ctx, { wrtParams: true });
    const b = probe(ctx, { wrtParams: true, scale: 0.25 });
    await expectClose(a.loss, b.loss);
    for (const key of Object.keys(a.paramGrads ?? {})) {
      const quarter = tf.mul(a.paramGrads?.[key] as tf.Tensor, 0.25);
      await expectClose(b.paramGrads?.[key] as tf.Tensor, quarter);
      quarter.dispose();
    }
    tf.dispose([a.loss, b.loss, ...Object.values(a.paramGrads ?? {}), ...Object.values(b.paramGrads ?? {})]);
  });

  it('a forward-only probe counts one forward and no backward, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const r = probe(ctx, { keepLogits: true });
    expect(r.logits?.shape).toEqual([4, 3]);
    tf.dispose([r.loss, r.logits as tf.Tensor]);
    expect(tf.memory().numTensors).toBe(before);
    expect(ctx.passes.snapshot()).toMatchObject({ forward: 1, backward: 0 });
  });
});

describe('probe with a layer-one split', () => {
  it('reads the co-state ∂L/∂z at the layer-one output and counts layer-one passes', async () => {
    const fixture = mlpFixture();
    const ctx = context(fixture);
    const [w1, b1, w2] = fixture.variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    const r = probe(ctx, { wrtLayerOne: true, wrtParams: true });
    // ∂L/∂z = (softmax − y) W2ᵀ / B for the linear head
    const expected = tf.tidy(() => {
      const z = tf.relu(tf.add(tf.matMul(ctx.batch.x, w1), b1));
      const p = tf.softmax(tf.add(tf.matMul(z, w2), fixture.variables[3] as tf.Variable));
      return tf.div(tf.matMul(tf.sub(p, tf.oneHot(tf.cast(ctx.batch.y, 'int32'), 3)), w2, false, true), 5);
    });
    await expectClose(r.layerOneGrad as tf.Tensor, expected);
    const h = probeLayerOne(ctx, { delta: tf.zerosLike(ctx.batch.x), objective: (z) => tf.sum(tf.mul(z, expected)), wrtDelta: true, wrtParams: true });
    expect(Object.keys(h.paramGrads ?? {})).toEqual([w1.name, b1.name]);
    expect(ctx.passes.snapshot()).toMatchObject({ forward: 1, backward: 1, layerOneForward: 1, layerOneBackward: 1 });
    tf.dispose([expected, r.loss, r.layerOneGrad as tf.Tensor, h.value as tf.Scalar, h.deltaGrad as tf.Tensor,
      ...Object.values(r.paramGrads ?? {}), ...Object.values(h.paramGrads ?? {})]);
    disposeBatch(ctx.batch);
    fixture.dispose();
  });

  it('a costate seeds the backward pass: same gradients as the objective ⟨c, z⟩, no value', async () => {
    const fixture = mlpFixture();
    const ctx = context(fixture);
    const [w1, b1] = fixture.variables as [tf.Variable, tf.Variable];
    const delta = tf.mul(tf.onesLike(ctx.batch.x), 0.05);
    const c = tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 5 * (w1.shape[1] as number)), [5, w1.shape[1] as number])));
    const byObjective = probeLayerOne(ctx, { delta, objective: (z) => tf.sum(tf.mul(z, c)), wrtDelta: true, wrtParams: true });
    const bySeed = probeLayerOne(ctx, { delta, costate: c, wrtDelta: true, wrtParams: true });
    expect(bySeed.value).toBeNull();
    await expectClose(bySeed.deltaGrad as tf.Tensor, byObjective.deltaGrad as tf.Tensor, 1e-6);
    await expectClose((bySeed.paramGrads as Record<string, tf.Tensor>)[w1.name]!, (byObjective.paramGrads as Record<string, tf.Tensor>)[w1.name]!, 1e-6);
    await expectClose((bySeed.paramGrads as Record<string, tf.Tensor>)[b1.name]!, (byObjective.paramGrads as Record<string, tf.Tensor>)[b1.name]!, 1e-6);
    expect(ctx.passes.snapshot()).toMatchObject({ layerOneForward: 2, layerOneBackward: 2 });
    expect(() => probeLayerOne(ctx, { delta, wrtDelta: true })).toThrow(/exactly one of "objective" and "costate" \(received neither\)/);
    expect(() => probeLayerOne(ctx, { delta, costate: c, objective: (z) => tf.sum(z), wrtDelta: true })).toThrow(/received both/);
    const before = tf.memory().numTensors;
    const wrong = tf.ones([5, 1]);
    expect(() => probeLayerOne(ctx, { delta, costate: wrong, wrtDelta: true }))
      .toThrow(/"costate" must have layer one's output shape \[5, \d+\] \(received \[5, 1\]\)/);
    wrong.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([delta, c, byObjective.value as tf.Scalar, byObjective.deltaGrad as tf.Tensor, bySeed.deltaGrad as tf.Tensor,
      ...Object.values(byObjective.paramGrads ?? {}), ...Object.values(bySeed.paramGrads ?? {})]);
    disposeBatch(ctx.batch);
    fixture.dispose();
  });
});
