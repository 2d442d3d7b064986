// chain(pgd(...), smartRegularizer(...)): the composed gradient is the sum of
// the parts computed separately (core's chain semantics, docs/composition.md).
import { Trainer, chain, type AnyStrategy } from '@advtrain/core';
import { embeddingFixture, expectClose, mlpFixture, type Fixture } from '@advtrain/core/testing';
import { PGD_NLP_PRESET, pgd } from '@advtrain/pgd';
import { smartRegularizer } from '@advtrain/smart-regularizer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

type Step = { loss: number; grads: tf.Tensor[] };

/** What `Trainer.gradients` returns for batch 0 under each strategy, each on a fresh copy of the model. */
async function stepsOf(make: () => Fixture, strategies: AnyStrategy[]): Promise<Step[]> {
  const steps: Step[] = [];
  for (const strategy of strategies) {
    const fixture = make();
    const batch = fixture.batch(0);
    const trainer = new Trainer(strategy, { view: fixture.view, optimizer: tf.train.sgd(0.1), seed: 17 });
    const step = trainer.gradients(batch);
    steps.push({ loss: (await step.loss.data())[0] as number,
      grads: fixture.variables.map((v) => step.grads[v.name] ?? tf.zerosLike(v)) });
    [step.loss, batch.x, batch.y].forEach((t) => t.dispose());
    trainer.dispose();
    fixture.dispose();
  }
  return steps;
}

describe('chain(pgd, smartRegularizer)', () => {
  const cases: Array<[string, () => AnyStrategy, () => Fixture]> = [
    ['embedding site, PGD_NLP_PRESET', () => pgd(PGD_NLP_PRESET), () => embeddingFixture({ hidden: 6 })],
    ['input site, L∞ PGD', () => pgd({ epsilon: 0.1, stepSize: 0.05, steps: 3 }), () => mlpFixture()],
  ];
  for (const [label, attack, make] of cases) {
    it(`the applied gradient is ∇θ L_pgd + λ·∇θ R (${label})`, async () => {
      const smart = () => smartRegularizer({ taskLoss: false, regWeight: 2, noiseScale: 0.05, stepSize: 0.5 });
      const [both, a, b] = await stepsOf(make, [chain(attack(), smart()), attack(), smart()]) as [Step, Step, Step];
      expect(b.loss).toBeGreaterThan(0);
      for (const [i, g] of both.grads.entries()) {
        const sum = tf.add(a.grads[i] as tf.Tensor, b.grads[i] as tf.Tensor);
        await expectClose(g, sum, 1e-5, `variable ${i}`);
        sum.dispose();
      }
      expect(Math.abs(both.loss - (a.loss + b.loss))).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(both.loss)));
      tf.dispose([...both.grads, ...a.grads, ...b.grads]);
    });
  }
});
