import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { expectClose, expectIdentical, values } from '../testing/index.js';
import { layersModelView, type LayersModelLike } from './layers-model.js';

const asLike = (m: tfl.LayersModel) => m as unknown as LayersModelLike;
const disposables: tf.Tensor[] = [];
const keep = <T extends tf.Tensor>(t: T): T => { disposables.push(t); return t; };
afterEach(() => { tf.dispose(disposables.splice(0)); });

function mlp(dropout = 0): tfl.Sequential {
  const m = tfl.sequential();
  // A fixed positive first layer: every hidden unit is active, so dropout masks always show in the logits.
  m.add(tfl.layers.dense({ inputShape: [6], units: 5, activation: 'relu', kernelInitializer: tfl.initializers.randomUniform({ minval: 0.1, maxval: 1, seed: 1 }) }));
  if (dropout > 0) m.add(tfl.layers.dropout({ rate: dropout, seed: 1 }));
  m.add(tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.randomUniform({ minval: -1, maxval: 1, seed: 2 }) }));
  return m;
}

function textModel(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5, maskZero: true }));
  m.add(tfl.layers.globalAveragePooling1d());
  m.add(tfl.layers.dense({ units: 2 }));
  return m;
}

describe('layersModelView, input site', () => {
  it('forward(δ) equals model.predict(x + δ), and clampInput clamps x + δ', async () => {
    const model = mlp();
    const view = layersModelView(asLike(model), { validRange: [0, 1] });
    const x = keep(tf.randomUniform([4, 6], 0, 1, 'float32', 3));
    const delta = keep(tf.randomUniform([4, 6], -0.5, 0.5, 'float32', 4));
    const batch = { x, y: keep(tf.tensor1d([0, 1, 2, 0], 'int32')) };
    await expectClose(keep(view.forward(batch, null, { training: false })), keep(model.predict(x) as tf.Tensor));
    await expectClose(keep(view.forward(batch, delta, { training: false })), keep(model.predict(keep(tf.add(x, delta))) as tf.Tensor));
    const clamped = keep(model.predict(keep(tf.clipByValue(tf.add(x, delta), 0, 1))) as tf.Tensor);
    await expectClose(keep(view.forward(batch, delta, { training: false, clampInput: true })), clamped);
    expect(view.variables.map((v) => v.name)).toEqual(model.trainableWeights.map((w) => (w.read() as tf.Variable).name));
    expect(view.siteShape(batch)).toEqual([4, 6]);
    model.dispose();
  });

  it('exposes a layer-one split whose tap leaves the logits unchanged', async () => {
    const model = mlp();
    const view = layersModelView(asLike(model), { validRange: [0, 1], layerOne: 0 });
    const x = keep(tf.randomUniform([3, 6], 0, 1, 'float32', 5));
    const batch = { x, y: keep(tf.tensor1d([0, 1, 2], 'int32')) };
    const z = keep(view.layerOne?.forward(batch, null, { training: false }) as tf.Tensor);
    await expectClose(z, keep(model.layers[0]?.apply(x) as tf.Tensor));
    const tapped = keep(view.forward(batch, null, { training: false, layerOneTap: keep(tf.zerosLike(z)) }));
    await expectClose(tapped, keep(model.predict(x) as tf.Tensor));
    expect(view.layerOne?.variables.length).toBe(2);
    // the patch is undone: the layer's own method is back
    expect(Object.prototype.hasOwnProperty.call(model.layers[0], 'call')).toBe(false);
    model.dispose();
  });

  it('routes Dropout layers through the step: frozen within a step, fresh across steps, seed or not', async () => {
    const model = mlp(0.5);
    const view = layersModelView(asLike(model));
    const x = keep(tf.ones([8, 6]));
    const batch = { x, y: keep(tf.zeros([8], 'int32')) };
    view.dropout.policy = 'frozen';
    view.dropout.beginStep(1);
    const a = keep(view.forward(batch, null));
    const b = keep(view.forward(batch, null));
    await expectIdentical(a, b, 'logits of two passes in one frozen step');
    view.dropout.beginStep(2);
    const c = keep(view.forward(batch, null));
    expect(Array.from(await values(c))).not.toEqual(Array.from(await values(a)));
    view.dropout.policy = 'fresh';
    view.dropout.beginStep(3);
    const d = keep(view.forward(batch, null));
    const e = keep(view.forward(batch, null));
    expect(Array.from(await values(d))).not.toEqual(Array.from(await values(e)));
    await expectClose(keep(view.forward(batch, null, { training: false })), keep(model.predict(x) as tf.Tensor));
    model.dispose();
  });

  it('restores batch-norm moving statistics inside preservingStatistics', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 4 }), tfl.layers.batchNormalization(), tfl.layers.dense({ units: 2 })] });
    const view = layersModelView(asLike(model));
    const batch = { x: keep(tf.randomNormal([16, 3], 2, 3, 'float32', 1)), y: keep(tf.zeros([16], 'int32')) };
    const stats = () => Promise.all(model.nonTrainableWeights.map((w) => values(w.read())));
    const before = await stats();
    keep(view.preservingStatistics(() => view.forward(batch, null, { training: true })));
    const after = await stats();
    for (let i = 0; i < before.length; i++) await expectIdentical(after[i] as Float32Array, before[i] as Float32Array);
    keep(view.forward(batch, null, { training: true }));
    expect(Array.from((await stats())[0] as Float32Array)).not.toEqual(Array.from(before[0] as Float32Array));
    model.dispose();
  });
});

describe('layersModelView, embedding site', () => {
  it('adds δ to the Embedding output and takes the mask from maskZero', async () => {
    const model = textModel();
    const view = layersModelView(asLike(model), { site: 'embedding' });
    const ids = keep(tf.tensor2d([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]], [2, 5], 'int32'));
    const batch = { x: ids, y: keep(tf.tensor1d([0, 1], 'int32')) };
    expect(view.siteShape(batch)).toEqual([2, 5, 4]);
    expect(Array.from(await values(keep(view.siteMask(batch) as tf.Tensor)))).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    const delta = keep(tf.randomUniform([2, 5, 4], -1, 1, 'float32', 9));
    const [emb, pool, dense] = model.layers as [tfl.layers.Layer, tfl.layers.Layer, tfl.layers.Layer];
    const manual = keep(tf.tidy(() => dense.apply(pool.apply(tf.add(emb.apply(ids) as tf.Tensor, delta))) as tf.Tensor));
    await expectClose(keep(view.forward(batch, delta, { training: false })), manual);
    await expectClose(keep(view.forward(batch, null, { training: false })), keep(model.predict(ids) as tf.Tensor));
    model.dispose();
  });

  it('rejects a model without an Embedding layer, naming the option', () => {
    const model = mlp();
    expect(() => layersModelView(asLike(model), { site: 'embedding' })).toThrow(/option "site" is "embedding" but the model has no Embedding layer/);
    expect(() => layersModelView(asLike(model), { layerOne: 9 })).toThrow(/option "layerOne" must be a layer index in \[0, 1\] or a layer name \(received 9\)/);
    model.dispose();
  });
});
