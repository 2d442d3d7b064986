import { prepareBackend } from '@advtrain/backends';
import * as tf from '@tensorflow/tfjs-core';

// Every test file prepares its backend the way an app does: one call with a
// name, which also registers gradients and, on wasm, our training kernels.
export async function useBackend(name, options = {}) {
  tf.enableProdMode();
  const prepared = await prepareBackend(name, options);
  if (tf.getBackend() !== prepared.backend) {
    throw new Error(`@advtrain/test-config: backend "${name}" failed to initialise (active: ${tf.getBackend()}).`);
  }
  return prepared;
}
