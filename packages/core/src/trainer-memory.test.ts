import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clean } from './clean.js';
import { Trainer } from './trainer.js';
import { disposeBatch, linearFixture } from './testing/index.js';

describe('Trainer: memory over a long run with validation on', () => {
  it('tensor count and bytes stay flat over 10,000 steps, refused batches included', async () => {
    const f = linearFixture();
    const optimizer = tf.train.momentum(0.01, 0.9);
    const trainer = new Trainer(clean(), { view: f.view, optimizer, onNonFinite: 'skip' });
    const batch = f.batch(0);
    const nan = { x: tf.fill(batch.x.shape, NaN), y: batch.y };
    const outside = { x: tf.fill(batch.x.shape, 3), y: batch.y };
    let at100: tf.MemoryInfo | null = null;
    let skipped = 0;
    let refused = 0;
    for (let i = 1; i <= 10_000; i++) {
      if (i % 500 === 0) {
        skipped += (await trainer.trainStep(nan)).skipped ? 1 : 0;
        await trainer.trainStep(outside).catch((e: { code?: string }) => { if (e.code === 'ADVTRAIN_INVALID_BATCH') refused += 1; });
      }
      await trainer.trainStep(batch);
      if (i === 100) at100 = tf.memory();
    }
    const end = tf.memory();
    expect(trainer.step).toBe(10_000);
    expect([skipped, refused]).toEqual([20, 20]);
    expect(end.numTensors).toBe(at100?.numTensors);
    expect(end.numBytes).toBe(at100?.numBytes);
    tf.dispose([nan.x, outside.x]);
    disposeBatch(batch);
    trainer.dispose();
    optimizer.dispose();
    f.dispose();
  });
});
