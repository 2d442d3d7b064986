import * as tfl from '@tensorflow/tfjs-layers';
import { layersModelView } from '@advtrain/core';

/**
 * Initialisers of PyTorch's `nn.Conv2d` and `nn.Linear`: weights
 * kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in), and biases
 * U(−1/√fan_in, 1/√fan_in). tfjs-layers defaults to Glorot weights and zero
 * biases; the reference recipes were tuned with PyTorch's.
 */
export function pytorchInit(fanIn, seed) {
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernelInitializer: tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed }),
    biasInitializer: tfl.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seed + 1 }),
  };
}

/**
 * The MNIST network of "Fast is better than free" (locuslab/fast_adversarial
 * `MNIST/mnist_net.py`): conv 4×4×16 stride 2 padding 1, ReLU, conv 4×4×32
 * stride 2 padding 1, ReLU, flatten, dense 100, ReLU, dense 10 ('same'
 * padding gives the same 28 → 14 → 7 as padding 1 here). `init` is
 * `'pytorch'` (default, as the reference) or `'glorot'` (tfjs-layers).
 * Layer 0 is YOPO's layer one.
 */
export function buildFastCnn({ seed = 0, init = 'pytorch' } = {}) {
  const layerInit = (fanIn, k) => (init === 'pytorch' ? pytorchInit(fanIn, seed * 100 + 10 * k)
    : { kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 100 + 10 * k }) });
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', ...layerInit(4 * 4 * 1, 1) }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', ...layerInit(4 * 4 * 16, 2) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 100, activation: 'relu', ...layerInit(7 * 7 * 32, 3) }),
      tfl.layers.dense({ units: 10, ...layerInit(100, 4) }),
    ],
  });
  const view = layersModelView(model, { validRange: [0, 1], layerOne: 0 });
  return { model, view, dispose: () => model.dispose() };
}
