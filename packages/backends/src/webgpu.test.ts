import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { installWebGpu, prepareBackend } from './index.js';
import { expectClose, runOn, seeded } from './test-support/parity.js';

// Installs navigator.gpu from the `webgpu` package (Dawn); falls back to Chromium's SwiftShader ICD.
const adapter = await installWebGpu((s) => import(s), { backend: 'webgpu', swiftShader: true }).catch(() => undefined);

describe.skipIf(!adapter)(`webgpu in Node (${adapter?.description ?? 'no adapter'})`, () => {
  it('prepareBackend("webgpu") activates webgpu', async () => {
    const prepared = await prepareBackend('webgpu');
    expect(prepared).toMatchObject({ name: 'webgpu', backend: 'webgpu', packageName: '@tensorflow/tfjs-backend-webgpu' });
    expect(prepared.device).toMatch(/^WebGPU: /);
  });

  it('a conv + maxPool gradient equals cpu', async () => {
    const fn = () => {
      const x = tf.tensor(seeded(2 * 8 * 8 * 2, 1), [2, 8, 8, 2]) as tf.Tensor4D;
      const w = tf.tensor(seeded(3 * 3 * 2 * 3, 2), [3, 3, 2, 3]) as tf.Tensor4D;
      const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(tf.maxPool(tf.relu(tf.conv2d(a, b, 1, 'same')), 2, 2, 'valid')));
      return tf.grads(f as never)([x, w]);
    };
    const cpu = await runOn('cpu', fn);
    const gpu = await runOn('webgpu', fn);
    expectClose(gpu, cpu, 1e-3);
  });

  it('"gpu" accepts this adapter only when software adapters are allowed', async () => {
    const prepared = await prepareBackend('gpu', { allowSoftwareGpu: true });
    expect(prepared.backend).toBe('webgpu');
    if (adapter?.software) {
      await expect(prepareBackend('gpu')).rejects.toMatchObject({ code: 'ADVTRAIN_NO_GPU_BACKEND' });
    }
  });
});
