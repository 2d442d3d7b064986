import { checkBatchValues, batchStats, type Batch, type BatchExpectation } from '@advtrain/core';
import { PKG } from './data.js';

/**
 * Refuses a batch that holds NaN or ±Infinity in x or y with an
 * `ADVTRAIN_NON_FINITE` error naming the argument (`data.x`), as the trainer
 * does. The check runs on the device and reads one small tensor
 * asynchronously (no synchronous read, so it is safe on WebGPU).
 */
export async function checkFinite(batch: Batch, what = 'data'): Promise<void> {
  const expectation: BatchExpectation = {
    pkg: PKG, what, site: 'input', inputShape: null, labels: 'targets', classes: null, validRange: null,
  };
  const { stats, layout } = batchStats(batch, expectation);
  try {
    checkBatchValues(await stats.data() as Float32Array, 0, layout, expectation, null);
  } finally {
    stats.dispose();
  }
}
