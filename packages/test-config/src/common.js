import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients; the tfjs-layers bundle registers all of them.
import '@tensorflow/tfjs-layers';

export async function useBackend(name) {
  tf.enableProdMode();
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`@advtrain/test-config: backend "${name}" failed to initialise.`);
  await tf.ready();
}
