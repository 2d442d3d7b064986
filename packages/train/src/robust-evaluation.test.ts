import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { linearFixture } from '@advtrain/core/testing';
import { robustEvaluation } from './index.js';

describe('robustEvaluation with autoAttack', () => {
  it('records autoAttackAccuracy at the PGD attack\'s ε, never above clean accuracy', async () => {
    const f = linearFixture({ inputs: 6, classes: 3, batchSize: 4 });
    // Labels from the model itself, so clean accuracy is 1 and the attacks have work to do.
    const x = tf.tensor2d(Array.from({ length: 24 }, (_, i) => Array.from({ length: 6 }, (_, j) => 0.5 + 0.4 * Math.sin(3 * i + j))));
    const y = tf.tidy(() => tf.argMax(f.view.forward({ x, y: tf.zeros([24]) }, null, { training: false }), -1));
    const data = { x, y };
    const metrics: Record<string, number> = {};
    const callback = robustEvaluation(f.view, data, { epsilon: 0.1, steps: 5 },
      { autoAttack: { version: ['apgd-ce', 'fab-t', 'square'], steps: 5, queries: 50 } });
    const before = tf.memory().numTensors;
    await callback.onEpochEnd?.({ epoch: 0, metrics } as never);
    expect(tf.memory().numTensors).toBe(before);
    expect(metrics.cleanAccuracy).toBe(1);
    expect(metrics.autoAttackAccuracy).toBeGreaterThanOrEqual(0);
    expect(metrics.autoAttackAccuracy).toBeLessThan(1);
    // Without the option the metric is absent.
    const plain: Record<string, number> = {};
    await robustEvaluation(f.view, data, { epsilon: 0.1, steps: 5 }).onEpochEnd?.({ epoch: 0, metrics: plain } as never);
    expect(Object.keys(plain).sort()).toEqual(['cleanAccuracy', 'robustAccuracy']);
    tf.dispose([x, y]);
    f.dispose();
  });
});
