import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layersModelView } from '@advtrain/core';

/**
 * The MNIST network of "Fast is better than free" (locuslab/fast_adversarial
 * MNIST/mnist_net.py): conv 4×4×16 stride 2, ReLU, conv 4×4×32 stride 2,
 * ReLU, flatten, dense 100, ReLU, dense 10. Padding 'same' gives 28 → 14 → 7.
 * Layer 0 (the first conv with its ReLU) is YOPO's layer one.
 */
export function buildCnn(seed = 0) {
  const init = (k) => tfl.initializers.glorotUniform({ seed: seed * 10 + k });
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 100, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 10, kernelInitializer: init(4) }),
    ],
  });
  const view = layersModelView(model, { validRange: [0, 1], layerOne: 0 });
  return { model, view, dispose: () => model.dispose() };
}

export { tf };
