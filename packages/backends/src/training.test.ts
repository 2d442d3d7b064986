import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareBackend } from './index.js';
import { expectClose, runOn, seeded } from './test-support/parity.js';
import { TEST_THREADS } from './test-support/threads.js';

beforeAll(async () => {
  await prepareBackend('wasm', { threads: TEST_THREADS });
});

function convNet(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'valid' }));
  model.add(tfl.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'valid' }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 3 }));
  return model;
}

function embeddingNet(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.embedding({ inputDim: 40, outputDim: 6, inputLength: 5 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 3 }));
  return model;
}

interface Fixture { build: () => tfl.Sequential; x: () => tf.Tensor }
const fixtures: Record<string, Fixture> = {
  'conv -> relu -> maxpool -> conv -> dense': {
    build: convNet,
    x: () => tf.tensor(seeded(4 * 9 * 9 * 2, 5), [4, 9, 9, 2]),
  },
  'embedding -> dense': {
    build: embeddingNet,
    x: () => tf.tensor2d(Array.from({ length: 20 }, (_, i) => (i * 7) % 40), [4, 5], 'int32'),
  },
};
const labels = () => tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);

/** Same architecture and weights on each backend: weights are seeded, not randomly initialised. */
function withSeededWeights(model: tfl.Sequential): tfl.Sequential {
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(seeded(w.size, 100 + i, 0.5), w.shape)));
  return model;
}

const lossOf = (model: tfl.Sequential, x: tf.Tensor) => () =>
  tf.losses.softmaxCrossEntropy(labels(), model.apply(x) as tf.Tensor) as tf.Scalar;

describe.each(Object.entries(fixtures))('%s', (_, fixture) => {
  it('has the same weight gradients on wasm as on cpu', async () => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const model = withSeededWeights(fixture.build());
      const x = fixture.x();
      const result = await runOn(backend, () => {
        const { grads } = tf.variableGrads(lossOf(model, x), model.trainableWeights.map((w) => w.read() as tf.Variable));
        return Object.keys(grads).sort().map((k) => grads[k]!);
      });
      x.dispose();
      model.dispose();
      return result;
    };
    expectClose(await grads('wasm'), await grads('cpu'), 1e-4);
  });

  it('trains on wasm: loss falls over 20 SGD steps, no tensors leak', async () => {
    await tf.setBackend('wasm');
    const model = withSeededWeights(fixture.build());
    const x = fixture.x();
    const optimizer = tf.train.sgd(0.1);
    const losses: number[] = [];
    for (let step = 0; step < 20; step++) {
      const loss = optimizer.minimize(lossOf(model, x), true)!;
      losses.push((await loss.data())[0]!);
      loss.dispose();
    }
    // Optimizer slots exist after the first step; a further step must not add tensors.
    const settled = tf.memory().numTensors;
    optimizer.minimize(lossOf(model, x), false);
    expect(tf.memory().numTensors).toBe(settled);
    expect(losses[19]!).toBeLessThan(losses[0]! * 0.7);
    optimizer.dispose();
    x.dispose();
    model.dispose();
  });
});
