import { prepareBackend, type BackendName } from '@advtrain/backends';
import { Trainer, chain, createStepContext, type AnyStrategy } from '@advtrain/core';
import { disposeBatch, makeFixture, relativeError, values, type FixtureName } from '@advtrain/core/testing';
import { fgm } from '@advtrain/fgm';
import { FGSM_RS_PRESET, fgsm } from '@advtrain/fgsm';
import { freeAt } from '@advtrain/free-at';
import { freelb } from '@advtrain/freelb';
import { PGD_L2_PRESET, pgd } from '@advtrain/pgd';
import { smartRegularizer } from '@advtrain/smart-regularizer';
import { yopoPmp } from '@advtrain/yopo-pmp';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The same seeded training step of every strategy on cpu (the reference),
 * wasm and webgpu. Compared: the perturbation δ from the inner max, and the
 * parameters after one optimizer step with SGD(lr = 1), i.e. θ − gradient.
 *
 * Tolerances (relative, |a − b| / (1 + |b|), worst element):
 * - wasm vs cpu: 1e-4. Both compute in float32 on the CPU, in different op order.
 * - webgpu vs cpu: 2e-3. SwiftShader float32 with different reduction order and fast-math exp/log.
 * Sign steps are discontinuous at g = 0; the fixtures have no gradient near zero, so no sign flips are expected.
 */
const TOLERANCE: Record<string, number> = { wasm: 1e-4, webgpu: 2e-3 };

interface Case { readonly name: string; readonly fixture: FixtureName; readonly make: () => AnyStrategy }

const CASES: Case[] = [
  { name: 'fgsm', fixture: 'mlp', make: () => fgsm({ epsilon: 0.1 }) },
  { name: 'fgsm (random start)', fixture: 'mlp', make: () => fgsm({ ...FGSM_RS_PRESET, epsilon: 0.1, stepSize: 0.125 }) },
  { name: 'fgm', fixture: 'embedding', make: () => fgm({ epsilon: 1 }) },
  { name: 'pgd linf', fixture: 'mlp', make: () => pgd({ epsilon: 0.1, stepSize: 0.03, steps: 3 }) },
  { name: 'pgd l2', fixture: 'mlp', make: () => pgd({ ...PGD_L2_PRESET, epsilon: 0.5, stepSize: 0.2, steps: 3 }) },
  { name: 'free-at', fixture: 'mlp', make: () => freeAt({ replays: 2, epsilon: 0.1 }) },
  { name: 'yopo-pmp', fixture: 'mlp', make: () => yopoPmp({ outerSteps: 2, innerSteps: 2, epsilon: 0.1, stepSize: 0.03 }) },
  { name: 'freelb', fixture: 'embedding', make: () => freelb({ steps: 2 }) },
  { name: 'smart-regularizer', fixture: 'embedding', make: () => smartRegularizer() },
  { name: 'freelb + smart-regularizer', fixture: 'embedding', make: () => chain(freelb({ steps: 2 }), smartRegularizer({ taskLoss: false })) },
];

interface Outcome { delta: Float32Array | null; params: Float32Array[]; loss: number }

async function runCase(c: Case): Promise<Outcome> {
  const fixture = makeFixture(c.fixture);
  const batch = fixture.batch(0);
  // δ of the inner max at the initial parameters.
  const probeStrategy = c.make();
  const frozen = tf.train.sgd(0); // outer mins that step the optimizer themselves change nothing here
  const ctx = createStepContext({ view: fixture.view, batch, applyGradients: (g) => frozen.applyGradients(g) });
  const inner = probeStrategy.innerMax(ctx, probeStrategy.init({ view: fixture.view, seed: 7 }));
  const firstDelta = inner.delta ?? (inner as { members?: Array<{ delta: tf.Tensor | null }> }).members?.[0]?.delta ?? null;
  const delta = firstDelta ? await values(firstDelta) : null;
  const outer = probeStrategy.outerMin(ctx, inner);
  outer.loss.dispose();
  Object.values(outer.grads ?? {}).forEach((g) => g.dispose());
  probeStrategy.dispose(outer.state);
  frozen.dispose();
  // One full training step from the same start.
  const optimizer = tf.train.sgd(1);
  const trainer = new Trainer(c.make(), { view: fixture.view, optimizer, seed: 7 });
  const report = await trainer.trainStep(batch);
  const params = await Promise.all(fixture.variables.map((v) => values(v)));
  trainer.dispose();
  optimizer.dispose();
  disposeBatch(batch);
  fixture.dispose();
  return { delta, params, loss: report.loss };
}

async function available(name: BackendName): Promise<boolean> {
  try {
    await prepareBackend(name);
    return true;
  } catch {
    return false;
  }
}

const results: Record<string, Record<string, Outcome>> = {};
const backends: string[] = [];

beforeAll(async () => {
  tf.enableProdMode();
  for (const name of ['cpu', 'wasm', 'webgpu'] as BackendName[]) {
    if (!(await available(name))) continue;
    backends.push(name);
    for (const c of CASES) (results[c.name] ??= {})[name] = await runCase(c);
  }
});

describe('one seeded step of every strategy agrees across backends', () => {
  it('ran on cpu and wasm (and webgpu where an adapter exists)', () => {
    expect(backends.slice(0, 2)).toEqual(['cpu', 'wasm']);
    if (process.env.TFJS_BACKENDS?.includes('webgpu')) expect(backends).toContain('webgpu');
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const reference = results[c.name]?.cpu as Outcome;
      for (const backend of backends.filter((b) => b !== 'cpu')) {
        const other = results[c.name]?.[backend] as Outcome;
        const tol = TOLERANCE[backend] as number;
        if (reference.delta) {
          const err = await relativeError(other.delta as Float32Array, reference.delta);
          expect(err, `${c.name} δ on ${backend}`).toBeLessThanOrEqual(tol);
        }
        for (let i = 0; i < reference.params.length; i++) {
          const err = await relativeError(other.params[i] as Float32Array, reference.params[i] as Float32Array);
          expect(err, `${c.name} parameter ${i} after one step on ${backend}`).toBeLessThanOrEqual(tol);
        }
        expect(Math.abs(other.loss - reference.loss) / (1 + Math.abs(reference.loss))).toBeLessThanOrEqual(tol);
      }
    });
  }
});
