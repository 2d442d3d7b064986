// An ε-scale schedule of s is the same step as the strategy built with every
// radius and step size multiplied by s (s = 0.5 keeps the products exact).
import { Trainer, type AnyStrategy } from '@advtrain/core';
import { embeddingFixture, mlpFixture, type Fixture } from '@advtrain/core/testing';
import { fgm } from '@advtrain/fgm';
import { fgsm } from '@advtrain/fgsm';
import { freeAt } from '@advtrain/free-at';
import { freelb } from '@advtrain/freelb';
import { pgd } from '@advtrain/pgd';
import { yopoPmp } from '@advtrain/yopo-pmp';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

/** The weights after two training steps of `strategy`, with or without an ε scale of 0.5. */
async function weightsAfter(make: () => Fixture, strategy: AnyStrategy, scaled: boolean): Promise<number[][]> {
  const fixture = make();
  const trainer = new Trainer(strategy, {
    view: fixture.view, optimizer: tf.train.sgd(0.5), seed: 5, stepsPerEpoch: 2,
    ...(scaled ? { schedules: { epsilonScale: () => 0.5 } } : {}),
  });
  for (let i = 0; i < 2; i++) {
    const batch = fixture.batch(i);
    await trainer.trainStep(batch);
    tf.dispose([batch.x, batch.y, ...(batch.mask ? [batch.mask] : [])]);
  }
  const weights = await Promise.all(fixture.variables.map(async (v) => Array.from(await v.data())));
  trainer.dispose();
  fixture.dispose();
  return weights;
}

const mlp = () => mlpFixture({ batchSize: 6 });
const text = () => embeddingFixture();

describe('ε scale through the trainer', () => {
  const cases: Array<[string, () => Fixture, AnyStrategy, AnyStrategy]> = [
    ['fgsm-rs', mlp, fgsm({ epsilon: 0.2, stepSize: 0.25, randomStart: true }), fgsm({ epsilon: 0.1, stepSize: 0.125, randomStart: true })],
    ['pgd linf', mlp, pgd({ epsilon: 0.3, stepSize: 0.1, steps: 3 }), pgd({ epsilon: 0.15, stepSize: 0.05, steps: 3 })],
    ['pgd l2', mlp, pgd({ norm: 'l2', epsilon: 1, stepSize: 0.5, steps: 3 }), pgd({ norm: 'l2', epsilon: 0.5, stepSize: 0.25, steps: 3 })],
    ['free-at', mlp, freeAt({ epsilon: 0.2, replays: 2 }), freeAt({ epsilon: 0.1, replays: 2 })],
    ['yopo-pmp', mlp, yopoPmp({ epsilon: 0.2, stepSize: 0.05, outerSteps: 2, innerSteps: 2 }),
      yopoPmp({ epsilon: 0.1, stepSize: 0.025, outerSteps: 2, innerSteps: 2 })],
    ['fgm', text, fgm({ epsilon: 1 }), fgm({ epsilon: 0.5 })],
    ['freelb', text, freelb({ stepSize: 0.1, steps: 2, initMagnitude: 0.6, maxNorm: 0.4 }),
      freelb({ stepSize: 0.05, steps: 2, initMagnitude: 0.3, maxNorm: 0.2 })],
  ];
  for (const [name, make, full, half] of cases) {
    it(`${name}: scale 0.5 equals the options at half the radius and step`, async () => {
      const viaSchedule = await weightsAfter(make, full, true);
      const direct = await weightsAfter(make, half, false);
      const unscaled = await weightsAfter(make, full, false);
      expect(viaSchedule).toEqual(direct);
      // The scale changes the step, so the comparison is not vacuous.
      expect(viaSchedule).not.toEqual(unscaled);
    });
  }
});
