import * as tf from '@tensorflow/tfjs-core';
import { mixSeed } from './random.js';

/**
 * Dropout masks under the step's control (docs/strategies/README.md, Dropout):
 * - `'frozen'`: every forward pass of one training step reuses the masks of
 *   the first pass (FreeLB); the next step draws new ones.
 * - `'fresh'`: every forward pass draws new masks (plain framework behaviour).
 * Masks are seeded from the step seed, the pass index and the call order, so
 * a seeded run is reproducible on every backend.
 */
export type DropoutPolicy = 'frozen' | 'fresh';

/** Owns a view's dropout masks: fresh per pass, or frozen for every pass of one step (see {@link DropoutPolicy}). */
export class DropoutControl {
  policy: DropoutPolicy;
  private stepSeed = 0;
  private pass = 0;
  private call = 0;

  constructor(policy: DropoutPolicy = 'fresh') {
    this.policy = policy;
  }

  /** Starts a training step: new masks from here on. */
  beginStep(stepSeed: number): void {
    this.stepSeed = stepSeed >>> 0;
    this.pass = 0;
  }

  /** Starts a forward pass: dropout calls are numbered from zero again. */
  beginPass(): void {
    this.pass += 1;
    this.call = 0;
  }

  /** Seed for the next dropout call of the current pass. */
  nextSeed(): number {
    const call = this.call++;
    // Frozen steps reuse the masks of pass 1, so a one-pass step draws the same masks under either policy.
    const pass = this.policy === 'frozen' ? 1 : this.pass;
    return mixSeed(mixSeed(this.stepSeed, pass), call);
  }

  /**
   * Inverted dropout with a controlled mask. Outside training it is the
   * identity. The mask is a constant, so gradients flow through kept units only.
   */
  apply(x: tf.Tensor, rate: number, training: boolean, noiseShape?: number[]): tf.Tensor {
    if (!training || rate <= 0) return x;
    return tf.dropout(x, rate, noiseShape, this.nextSeed());
  }
}
