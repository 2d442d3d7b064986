import { createStepContext, disposeGrads, type AnyStrategy, type GradMap, type StepContext } from '@advtrain/core';
import { disposeBatch, embeddingFixture, expectClose, expectIdentical, makeFixture, type FixtureName } from '@advtrain/core/testing';
import { fgm } from '@advtrain/fgm';
import { fgsm } from '@advtrain/fgsm';
import { pgd } from '@advtrain/pgd';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

interface StepResult { delta: tf.Tensor; loss: tf.Scalar; grads: GradMap }

function runStep(s: AnyStrategy, ctx: StepContext): StepResult {
  const inner = s.innerMax(ctx, s.init({ view: ctx.view, seed: 21 }));
  const delta = tf.clone(inner.delta as tf.Tensor);
  const outer = s.outerMin(ctx, inner);
  s.dispose(outer.state);
  return { delta, loss: outer.loss, grads: outer.grads as GradMap };
}

/** Runs each strategy on the same batch of a fresh fixture. */
function both(fixtureName: FixtureName | 'embedding', a: AnyStrategy, b: AnyStrategy, batchIndex: number): [StepResult, StepResult, () => void] {
  const fixture = fixtureName === 'embedding' ? embeddingFixture({ batchSize: 4 }) : makeFixture(fixtureName);
  const batch = fixture.batch(batchIndex);
  const ra = runStep(a, createStepContext({ view: fixture.view, batch }));
  const rb = runStep(b, createStepContext({ view: fixture.view, batch }));
  return [ra, rb, () => {
    for (const r of [ra, rb]) {
      tf.dispose([r.delta, r.loss]);
      disposeGrads(r.grads);
    }
    disposeBatch(batch);
    fixture.dispose();
  }];
}

describe('PGD with one step reduces to FGSM (docs/strategies/pgd.md, oracle PGD 2)', () => {
  for (const fixtureName of ['linear', 'mlp'] as const) {
    for (const epsilon of [0.1, 0.3]) {
      it(`pgd(steps 1, no random start, stepSize ε) = fgsm(α = 0) bit for bit [${fixtureName}, ε = ${epsilon}]`, async () => {
        const [p, f, done] = both(fixtureName,
          pgd({ epsilon, stepSize: epsilon, steps: 1, randomStart: false }), fgsm({ epsilon, alpha: 0 }), 2);
        await expectIdentical(p.delta, f.delta, 'δ');
        await expectIdentical(p.loss, f.loss, 'loss');
        expect(Object.keys(p.grads).sort()).toEqual(Object.keys(f.grads).sort());
        for (const key of Object.keys(f.grads)) await expectIdentical(p.grads[key] as tf.Tensor, f.grads[key] as tf.Tensor, key);
        done();
      });
    }
  }
});

describe('L2 PGD with one step reduces to FGM', () => {
  it('pgd(norm l2, steps 1, no random start, stepSize ε) gives FGM\'s δ on embeddings (guards differ by < 1e-5)', async () => {
    const [p, f, done] = both('embedding',
      pgd({ norm: 'l2', epsilon: 1, stepSize: 1, steps: 1, randomStart: false }), fgm({ epsilon: 1 }), 0);
    await expectClose(p.delta, f.delta, 1e-5, 'δ');
    done();
  });
});
