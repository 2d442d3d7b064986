import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradient functions tfjs-core lacks
import { beforeAll, describe, expect, it } from 'vitest';
import { conformanceCases, disposeBatch, mlpFixture } from '@advtrain/core/testing';
import { createStepContext } from '@advtrain/core';
import { vat } from './vat.mjs';

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

describe('vat: conformance kit', () => {
  for (const c of conformanceCases(vat, {
    options: { epsilon: 0.5, xi: 10 },
    valid: [{}, { powerIterations: 2, xi: 10 }],
    invalid: [[{ epsilon: 0 }, 'epsilon'], [{ powerIterations: 0 }, 'powerIterations'], [{ regWeight: -1 }, 'regWeight']],
  })) it(c.name, c.run);
});

describe('vat: oracles (docs/writing-a-strategy.md)', () => {
  it('‖r_vadv‖₂ = ε for every example', async () => {
    const f = mlpFixture({ batchSize: 6 });
    const batch = f.batch(0);
    const s = vat({ epsilon: 0.7, xi: 10 }); // ξ = 10 as lyakaap/VAT-pytorch: with ξ = 1e-6 a float32 pass can see no change at all
    const ctx = createStepContext({ view: f.view, batch });
    const inner = s.innerMax(ctx, s.init({ view: f.view, seed: 1 }));
    const d = await inner.delta.data();
    const size = d.length / 6;
    for (let b = 0; b < 6; b++) expect(Math.hypot(...d.slice(b * size, (b + 1) * size))).toBeCloseTo(0.7, 4);
    expect(ctx.passes.snapshot()).toMatchObject({ forward: 2, backward: 1 });
    const outer = s.outerMin(ctx, inner);
    tf.dispose([outer.loss, ...Object.values(outer.grads)]);
    disposeBatch(batch);
    f.dispose();
  });
});
