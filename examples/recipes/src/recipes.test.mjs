import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBackend } from '@advtrain/backends';
import * as tf from '@tensorflow/tfjs-core';
import { PGD_50_10_MNIST, cleanAccuracy, robustAccuracy } from '@advtrain/eval';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { beforeAll, describe, expect, it } from 'vitest';
import { belowTarget, main } from './main.mjs';
import { buildFastCnn } from './model.mjs';
import { evaluateSavedModel, splitRange } from './parallel-eval.mjs';
import { loadLayersModelFrom, saveLayersModel } from './save-model.mjs';
import { RECIPES, RECIPE_NAMES } from './recipes.mjs';

beforeAll(async () => { await prepareBackend('wasm'); });

describe('recipes', () => {
  it('initialise like PyTorch: weights and biases in ±1/√fan_in, spread over the range', async () => {
    const { model, dispose } = buildFastCnn({ seed: 3 });
    const fanIns = [16, 256, 1568, 100];
    const dense = model.layers.filter((l) => l.getWeights().length === 2);
    expect(dense).toHaveLength(4);
    for (const [i, layer] of dense.entries()) {
      const bound = 1 / Math.sqrt(fanIns[i]);
      for (const w of layer.getWeights()) {
        const v = await w.data();
        const max = v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(max).toBeLessThanOrEqual(bound);
        expect(max).toBeGreaterThan(0.8 * bound);
      }
    }
    dispose();
  });

  it('each names its paper row, reference code, target and the PGD-50 × 10 evaluation; schedules peak at floor(2E/5)', () => {
    expect(RECIPE_NAMES).toEqual(['fgsm-rs-mnist', 'pgd-mnist', 'free-at-mnist', 'yopo-mnist']);
    for (const name of RECIPE_NAMES) {
      const r = RECIPES[name];
      expect(r.paper.citation.length).toBeGreaterThan(20);
      expect(r.reference.length).toBeGreaterThan(20);
      expect(r.evaluation).toBe(PGD_50_10_MNIST);
      expect(r.epsilon).toBe(0.3);
      const lr = r.schedules(r.epochs).learningRate;
      expect(lr({ epoch: Math.floor((2 * r.epochs) / 5), optimizerStep: 0 })).toBe(5e-3);
      expect(lr({ epoch: r.epochs, optimizerStep: 0 })).toBe(0);
    }
  });

  it('warns when a seed ends below the recipe\'s target, naming the weights the monitor kept', () => {
    const monitor = { bestCheck: { step: 1764, heldOut: 0.694 } };
    expect(belowTarget(RECIPES['free-at-mnist'], { robust: 0.652, clean: 0.981 }, monitor)).toBe(
      'ends non-robust: 65.2 % under PGD-50 × 10, below the recipe\'s target of 85.0 %; the weights kept are those of step 1764, '
      + 'the best held-out PGD-10 accuracy (69.4 %). Train another seed, or longer.');
    expect(belowTarget(RECIPES['fgsm-rs-mnist'], { robust: 0.9, clean: 0.975 }, monitor)).toMatch(/^ends non-robust: 97.5 % clean, below the target of 98.0 %;/);
    expect(belowTarget(RECIPES['fgsm-rs-mnist'], { robust: 0.85, clean: 0.98 }, monitor)).toBeNull();
  });

  it('refuses a bad command line with the flag and the value', async () => {
    await expect(main(['fgsm-rs'], () => {})).rejects.toThrow(/expected one recipe, one of fgsm-rs-mnist, pgd-mnist, free-at-mnist, yopo-mnist \(received "fgsm-rs"\)/);
    await expect(main(['pgd-mnist', '--seed', '1', '--seeds', '1,2'], () => {})).rejects.toThrow('reproduce: give --seed or --seeds, not both.');
    await expect(main(['pgd-mnist', '--epochs', '0'], () => {})).rejects.toThrow('reproduce: flag --epochs must be an integer >= 1 (received "0").');
  });

  it('runs end to end on a slice: JSON, report, and a saved model that reloads with the same predictions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'advtrain-recipes-'));
    const lines = [];
    const summary = await main(['fgsm-rs-mnist', '--train-size', '300', '--test-size', '20', '--epochs', '1', '--backend', 'wasm',
      '--json', join(dir, 'r.json'), '--report', join(dir, 'r.html'), '--save-model', join(dir, 'model')], (l) => lines.push(l));
    const run = summary.runs[0];
    expect(run).toMatchObject({ seed: 0, epochs: 1, minibatches: 3 });
    expect(run.checks.at(-1).step).toBe(3);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).setup).toMatchObject({ trainImages: 270, heldOutImages: 30, testImages: 20 });
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('Held-out accuracy against training time');
    const loaded = await loadLayersModelFrom(join(dir, 'model'));
    expect(loaded.countParams()).toBe(16 * 17 + 32 * 257 + 100 * 1569 + 10 * 101);
    loaded.dispose();
    const evaluated = await main(['fgsm-rs-mnist', '--evaluate', join(dir, 'model'), '--test-size', '20'], () => {});
    expect(evaluated.clean).toBe(run.clean);
    expect(evaluated.robust).toBe(run.robust);
  });
});

describe('parallel evaluation', () => {
  it('splits the test images on minibatch boundaries', () => {
    expect(splitRange(0, 10000, 2, 500)).toEqual([{ start: 0, count: 5000 }, { start: 5000, count: 5000 }]);
    expect(splitRange(1000, 10000, 2, 500)).toEqual([{ start: 1000, count: 4500 }, { start: 5500, count: 4500 }]);
    expect(splitRange(0, 200, 4, 500)).toEqual([{ start: 0, count: 200 }]);
    expect(splitRange(0, 1100, 3, 500)).toEqual([{ start: 0, count: 500 }, { start: 500, count: 500 }, { start: 1000, count: 100 }]);
  });

  it('gives the same figures on one process and on three as one in-process evaluation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'advtrain-recipes-'));
    const { model, view, dispose } = buildFastCnn({ seed: 1 });
    await saveLayersModel(model, dir);
    // A radius small enough that the untrained network keeps some answers, so the counts mean something.
    const attack = { epsilon: 0.01, norm: 'linf', steps: 3, stepSize: 0.005, restarts: 2, randomStart: true, earlyStop: true };
    const test = await loadMnist('test', 60);
    const clean = await cleanAccuracy(view, test, { batchSize: 10 });
    const direct = await robustAccuracy(view, test, attack, { batchSize: 10 });
    tf.dispose([test.x, test.y]);
    dispose();
    expect(direct.correct).toBeGreaterThan(0);
    const run = (workers) => evaluateSavedModel({ recipe: 'fgsm-rs-mnist', dir, testSize: 60, autoattack: 20, workers, backend: 'wasm', batchSize: 10, attack });
    for (const workers of [1, 3]) {
      const e = await run(workers);
      expect(e.workers).toBe(workers);
      expect(e.clean).toBe(clean.accuracy);
      expect(e.robust).toBe(direct.accuracy);
      expect(e.autoAttack.images).toBe(20);
      expect(e.autoAttack.accuracy).toBeLessThanOrEqual(e.autoAttack.accuracyAfter['apgd-ce']);
    }
  });
});
