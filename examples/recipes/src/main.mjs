#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '@advtrain/backends';
import { Trainer, layersModelView } from '@advtrain/core';
import { autoAttack, evaluateProtocol } from '@advtrain/eval';
import { RobustnessMonitor, fit } from '@advtrain/train';
import { runIfEntry } from '@advtrain-examples/kit';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { buildFastCnn } from './model.mjs';
import { RECIPES, RECIPE_NAMES } from './recipes.mjs';
import { renderRecipeReport } from './report.mjs';
import { loadLayersModelFrom, saveLayersModel } from './save-model.mjs';

const NAME = 'reproduce';
const pct = (v) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(1)} %`);

export const USAGE = `usage: pnpm reproduce <recipe> [flags]
  recipes: ${RECIPE_NAMES.join(', ')}
  --seed N            seed of the initialisation, data order and attacks (default 0)
  --seeds LIST        several seeds, one after the other (e.g. 0,1,2)
  --save-model DIR    write each trained tf.LayersModel (model.json + weights.bin; DIR/seed-N with --seeds)
  --json FILE         machine-readable results   --report FILE.html   accuracy against training time per seed
  --epochs N          override the recipe's epochs (its schedule follows)
  --evaluate DIR      no training: evaluate the model saved in DIR with the recipe's protocol
  --autoattack N      AutoAttack (standard) and the protocol's PGD on the first N test images (default 1000; 0: none)
  --train-size N      training images (default 60000: 59,000 trained on, the last 1,000 held out)
  --test-size N       test images of the final evaluation (default 10000, the full test set)
  --backend NAME      wasm (default), cpu, webgpu, tensorflow, gpu`;

function parse(argv) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      seed: { type: 'string' }, seeds: { type: 'string' }, 'save-model': { type: 'string' }, json: { type: 'string' },
      report: { type: 'string' }, epochs: { type: 'string' }, 'train-size': { type: 'string', default: '60000' },
      'test-size': { type: 'string', default: '10000' }, backend: { type: 'string', default: 'wasm' }, evaluate: { type: 'string' }, autoattack: { type: 'string', default: '1000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };
  const recipe = positionals[0];
  if (positionals.length !== 1 || !RECIPES[recipe]) {
    throw new Error(`${NAME}: expected one recipe, one of ${RECIPE_NAMES.join(', ')} (received ${JSON.stringify(positionals.join(' '))}).\n${USAGE}`);
  }
  const int = (name, raw, min) => {
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new Error(`${NAME}: flag --${name} must be an integer >= ${min} (received ${JSON.stringify(raw)}).`);
    return v;
  };
  if (values.seed !== undefined && values.seeds !== undefined) throw new Error(`${NAME}: give --seed or --seeds, not both.`);
  const seeds = values.seeds !== undefined ? values.seeds.split(',').map((s) => int('seeds', s.trim(), 0))
    : [int('seed', values.seed ?? '0', 0)];
  return {
    recipe, seeds, saveModel: values['save-model'] ?? null, evaluate: values.evaluate ?? null, json: values.json ?? null, report: values.report ?? null,
    epochs: values.epochs === undefined ? null : int('epochs', values.epochs, 1), backend: values.backend,
    trainSize: int('train-size', values['train-size'], 20), testSize: int('test-size', values['test-size'], 1),
    autoattack: int('autoattack', values.autoattack, 0),
  };
}

const slice = (d, start, n) => ({ x: tf.slice(d.x, start, n), y: tf.slice(d.y, start, n) });
const dispose = (d) => tf.dispose([d.x, d.y]);

/** Trains and evaluates one seed of `recipe`; returns its results. */
async function runSeed(recipe, flags, seed, data, log) {
  const epochs = flags.epochs ?? recipe.epochs;
  const model = buildFastCnn({ seed, init: recipe.init });
  const strategy = await recipe.strategy();
  const optimizer = recipe.optimizer();
  const trainer = new Trainer(strategy, { view: model.view, optimizer, seed, schedules: recipe.schedules(epochs) });
  const perEpoch = Math.ceil(data.train.x.shape[0] / recipe.batchSize);
  const monitor = new RobustnessMonitor(model.view, data.monitorBatch, {
    epsilon: recipe.epsilon, everySteps: Math.max(1, Math.floor(perEpoch / 3)), heldOut: data.heldOut,
    onWarning: (w) => log(`${NAME}: seed ${seed}: warning: ${w.message}`),
    onCheck: (c) => log(`${NAME}: seed ${seed}: step ${c.step}: monitor batch clean ${pct(c.clean)}, FGSM ${pct(c.fgsm)}, PGD-10 ${pct(c.pgd)}; `
      + `held-out clean ${pct(c.heldOutClean)}, PGD-10 ${pct(c.heldOut)}`),
  });
  log(`${NAME}: seed ${seed}: training ${strategy.toString()} for ${epochs} epochs of ${perEpoch} minibatches`);
  const result = await fit(trainer, data.train, { epochs, batchSize: recipe.batchSize, seed, callbacks: [monitor], label: `${recipe.name} seed ${seed}` });
  const trainMinutes = result.trainMs / 60000;
  if (monitor.restoredStep !== null) {
    log(`${NAME}: seed ${seed}: restored the weights of step ${monitor.restoredStep}, the best held-out PGD accuracy (${pct(monitor.bestCheck?.heldOut)}).`);
  }
  log(`${NAME}: seed ${seed}: trained ${trainer.step} minibatches in ${trainMinutes.toFixed(1)} min (${result.stoppedBy}); evaluating ${recipe.evaluation.name} on ${data.test.x.shape[0]} test images`);
  if (flags.saveModel) {
    const dir = flags.seeds.length > 1 ? `${flags.saveModel}/seed-${seed}` : flags.saveModel;
    await saveLayersModel(model.model, dir);
    log(`${NAME}: seed ${seed}: model written to ${dir}`);
  }
  const evaluation = await evaluateProtocol(model.view, data.test, recipe.evaluation, { batchSize: 500, progress: true });
  const strong = await autoAttackOnSubset(recipe, flags, model.view, data.test, log, evaluation);
  const warnings = monitor.warnings.map((w) => w.message);
  if (recipe.paper.robust !== null && evaluation.accuracy < 0.5 * recipe.paper.robust) {
    warnings.push(`${NAME}: seed ${seed} ends non-robust: ${pct(evaluation.accuracy)} under ${recipe.evaluation.name}, against ${pct(recipe.paper.robust)} in the paper.`);
  }
  log(`${NAME}: seed ${seed}: clean ${pct(evaluation.clean)}, ${recipe.evaluation.name} ${pct(evaluation.accuracy)} (${evaluation.seconds.toFixed(0)} s)`);
  const run = {
    seed, epochs, minibatches: trainer.step, stoppedBy: result.stoppedBy, stopReason: result.stopReason, trainMinutes,
    clean: evaluation.clean, robust: evaluation.accuracy, attack: evaluation.attack, evalSeconds: evaluation.seconds, autoAttack: strong,
    restoredStep: monitor.restoredStep, checks: monitor.checks, warnings,
  };
  monitor.dispose();
  trainer.dispose();
  optimizer.dispose();
  model.dispose();
  return run;
}

/** `pnpm reproduce <recipe> …`: trains each seed, evaluates it, and writes the JSON and the report. */
export async function main(argv = process.argv.slice(2), log = (line) => console.log(line)) {
  const flags = parse(argv);
  if (flags.help) {
    log(USAGE);
    return null;
  }
  const recipe = { name: flags.recipe, ...RECIPES[flags.recipe] };
  const prepared = await prepareBackend(flags.backend);
  log(`${NAME}: ${recipe.title}; backend ${prepared.backend} (${prepared.device})`);
  if (flags.evaluate) return evaluateSaved(recipe, flags, prepared, argv, log);
  const all = await loadMnist('train', flags.trainSize);
  const held = Math.min(1000, Math.floor(flags.trainSize / 10));
  const data = {
    train: slice(all, 0, flags.trainSize - held),
    heldOut: slice(all, flags.trainSize - held, held),
    monitorBatch: slice(all, 0, Math.min(200, flags.trainSize - held)),
    test: await loadMnist('test', flags.testSize),
  };
  dispose(all);
  const runs = [];
  const summarize = () => ({
    recipe: recipe.name, title: recipe.title, paper: recipe.paper, reference: recipe.reference, target: recipe.target,
    setup: {
      epsilon: recipe.epsilon, batchSize: recipe.batchSize, init: recipe.init, optimizer: recipe.optimizerName,
      schedule: recipe.schedule, evaluation: `${recipe.evaluation.name} (${recipe.evaluation.source})`,
      trainImages: flags.trainSize - held, heldOutImages: held, testImages: flags.testSize,
    },
    backend: prepared.backend, device: prepared.device, command: `pnpm reproduce ${argv.join(' ')}`, finishedAt: new Date().toISOString(), runs,
  });
  for (const seed of flags.seeds) {
    runs.push(await runSeed(recipe, flags, seed, data, log));
    // Written after every seed, so a long multi-seed run keeps what it has finished.
    if (flags.json) await writeOut(flags.json, `${JSON.stringify(summarize(), null, 2)}\n`, log);
    if (flags.report) await writeOut(flags.report, renderRecipeReport(summarize()), log);
  }
  for (const d of [data.train, data.heldOut, data.monitorBatch, data.test]) dispose(d);
  return summarize();
}

/**
 * AutoAttack's standard suite on the first `--autoattack` test images, with
 * the recipe's PGD protocol on the same images for comparison; null when off.
 */
async function autoAttackOnSubset(recipe, flags, view, test, log, whole) {
  const n = Math.min(flags.autoattack, test.x.shape[0]);
  if (n === 0) return null;
  const subset = slice(test, 0, n);
  // On the whole evaluated set the protocol's result is already known.
  const pgd = n === test.x.shape[0] ? whole : await evaluateProtocol(view, subset, recipe.evaluation, { batchSize: 500 });
  const aa = await autoAttack(view, subset, { epsilon: recipe.epsilon, norm: 'linf', version: 'standard', batchSize: 500 });
  dispose(subset);
  const seconds = Object.values(aa.seconds).reduce((a, b) => a + b, 0);
  log(`${NAME}: first ${n} test images: ${recipe.evaluation.name} ${pct(pgd.accuracy)} (${pgd.seconds.toFixed(0)} s), AutoAttack ${pct(aa.accuracy)} (${seconds.toFixed(0)} s)`);
  return {
    images: n, pgd: pgd.accuracy, pgdSeconds: pgd.seconds, accuracy: aa.accuracy, seconds,
    accuracyAfter: aa.accuracyAfter, secondsPerAttack: aa.seconds,
  };
}

/** `--evaluate DIR`: the recipe's protocol on a saved model, nothing trained. */
async function evaluateSaved(recipe, flags, prepared, argv, log) {
  const model = await loadLayersModelFrom(flags.evaluate);
  const view = layersModelView(model, { validRange: [0, 1] });
  const test = await loadMnist('test', flags.testSize);
  log(`${NAME}: evaluating ${flags.evaluate} with ${recipe.evaluation.name} on ${flags.testSize} test images`);
  const evaluation = await evaluateProtocol(view, test, recipe.evaluation, { batchSize: 500, progress: true });
  log(`${NAME}: clean ${pct(evaluation.clean)}, ${recipe.evaluation.name} ${pct(evaluation.accuracy)} (${evaluation.seconds.toFixed(0)} s)`);
  const strong = await autoAttackOnSubset(recipe, flags, view, test, log, evaluation);
  dispose(test);
  model.dispose();
  const summary = {
    recipe: recipe.name, model: flags.evaluate, evaluation: `${recipe.evaluation.name} (${recipe.evaluation.source})`, testImages: flags.testSize,
    clean: evaluation.clean, robust: evaluation.accuracy, evalSeconds: evaluation.seconds, autoAttack: strong,
    backend: prepared.backend, device: prepared.device, command: `pnpm reproduce ${argv.join(' ')}`, finishedAt: new Date().toISOString(),
  };
  if (flags.json) await writeOut(flags.json, `${JSON.stringify(summary, null, 2)}
`, log);
  return summary;
}

async function writeOut(path, text, log) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  log(`${NAME}: wrote ${path}`);
}

runIfEntry(import.meta, main);
