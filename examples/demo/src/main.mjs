#!/usr/bin/env node
// The README's main job: a cross-backend demo that finishes in a few minutes on two cores.
//   1. One seeded PGD training step of the MNIST CNN on cpu (the reference) and on wasm, compared.
//   2. Adversarial training on an MNIST subset with pgd and with free-at on wasm, the embedded default,
//      with clean and PGD accuracy before and after, a results table and a self-contained HTML report.
// Every flag of examples/mnist-robustness works here too (see --help); these are the demo's defaults.
import * as tf from '@tensorflow/tfjs-core';
import { exampleMain, runIfEntry } from '@advtrain-examples/kit';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { buildCnn } from '@advtrain-examples/mnist-robustness/model';
import { STRATEGIES, makeStrategy } from '@advtrain-examples/mnist-robustness/strategies';
import { crossBackendStep } from './cross-check.mjs';

const EPSILON = 0.1;
// Clean gradients differ between backends only by float32 summation order. PGD's sign steps are
// discontinuous at ∂L/∂x ≈ 0 (common on MNIST's flat background), where that rounding can flip a
// pixel's step, so its weights after one step agree less tightly.
const CHECKS = [['clean', 1e-4], ['pgd', 1e-2]];
const pct = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);

const DEFAULTS = {
  name: 'demo', strategy: 'pgd,free-at', strategies: STRATEGIES, epochs: 1, trainSize: 4000, testSize: 500,
  batchSize: 100, pgdSteps: 10, curve: [0, 0.05, 0.1, 0.2],
};

const experiment = exampleMain('@advtrain-examples/demo', DEFAULTS, () => ({
  name: 'demo', title: `advtrain demo: MNIST subset, ε = ${EPSILON}, pgd and free-at on wasm`,
  loadData: async (f) => ({ train: await loadMnist('train', f.trainSize), test: await loadMnist('test', f.testSize) }),
  makeModel: buildCnn,
  makeStrategy: (name) => makeStrategy(name, { epsilon: EPSILON }),
  norm: 'linf', reportEpsilons: [EPSILON], singleStep: [], learningRate: 1e-3,
}));

export async function main(args) {
  const argv = args[0] === '--' ? args.slice(1) : args;
  if (argv.includes('--help') || argv.includes('-h')) return experiment(argv);
  tf.enableProdMode();
  const started = performance.now();
  console.log('demo: 1/2 one seeded training step on cpu (the reference) and on wasm, from the same weights and batch');
  for (const [name, tolerance] of CHECKS) {
    const check = await crossBackendStep(() => makeStrategy(name, { epsilon: EPSILON }));
    console.table(check.rows.map((r) => ({ strategy: name, backend: r.backend, loss: r.loss.toFixed(6), 'step ms': Math.round(r.ms), 'max rel. diff of weights vs cpu': r.error.toExponential(2) })));
    const worst = Math.max(...check.rows.map((r) => r.error));
    if (!(worst <= tolerance)) throw new Error(`demo: ${name} on wasm disagrees with cpu after one step (relative difference ${worst} > ${tolerance}).`);
    console.log(`demo: ${name}: wasm matches cpu within ${tolerance}; passes per step ${JSON.stringify(check.passes)}`);
  }

  console.log('demo: 2/2 adversarial training on wasm');
  const withDefaults = ['--report', 'demo-report.html', '--json', 'demo-summary.json', ...argv];
  const summary = await experiment(withDefaults);
  const rows = summary.runs.map((run) => {
    const before = run.timeline[0];
    return {
      strategy: run.strategy, steps: run.steps, 'train s': run.trainSeconds.toFixed(1),
      'clean before': pct(before.clean), 'clean after': pct(run.clean),
      [`PGD-${summary.options.pgdSteps} ε=${EPSILON} before`]: pct(before.robust), [`PGD-${summary.options.pgdSteps} ε=${EPSILON} after`]: pct(run.robust[String(EPSILON)]),
    };
  });
  console.table(rows);
  console.log(`demo: 'before' is measured on the first ${summary.timelineSize} test images with ${summary.timelineAttack}; 'after' on all ${summary.options.testSize} with ${summary.evalAttack}.`);
  console.log(`demo: done in ${((performance.now() - started) / 1000).toFixed(0)} s; open demo-report.html for the plots.`);
  return summary;
}

runIfEntry(import.meta, main);
