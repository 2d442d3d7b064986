#!/usr/bin/env node
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '@advtrain/backends';
import { Trainer } from '@advtrain/core';
import { RobustnessMonitor, fit } from '@advtrain/train';
import { runIfEntry } from '@advtrain-examples/kit';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { buildFastCnn } from './model.mjs';
import { RECIPES, RECIPE_NAMES } from './recipes.mjs';
import { evaluateSavedModel } from './parallel-eval.mjs';
import { renderRecipeReport } from './report.mjs';
import { saveLayersModel } from './save-model.mjs';

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
  --workers N         evaluation processes, each on its share of the test images (default: the number of cores)
  --train-size N      training images (default 60000: 59,000 trained on, the last 1,000 held out)
  --test-size N       test images of the final evaluation (default 10000, the full test set)
  --backend NAME      wasm (default), cpu, webgpu, tensorflow, gpu
  --threads N         wasm: threads of the training process (default: the number of cores; same weights for any N)`;

function parse(argv) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      seed: { type: 'string' }, seeds: { type: 'string' }, 'save-model': { type: 'string' }, json: { type: 'string' },
      report: { type: 'string' }, epochs: { type: 'string' }, 'train-size': { type: 'string', default: '60000' },
      'test-size': { type: 'string', default: '10000' }, backend: { type: 'string', default: 'wasm' }, evaluate: { type: 'string' }, autoattack: { type: 'string', default: '1000' },
      workers: { type: 'string', default: String(availableParallelism()) }, threads: { type: 'string' },
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
    autoattack: int('autoattack', values.autoattack, 0), workers: int('workers', values.workers, 1),
    threads: values.threads === undefined ? null : int('threads', values.threads, 1),
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
  // Step time alone (the papers' figure), the wall time with the monitor's
  // checks, and this process's CPU time: single-threaded wasm uses one core,
  // so CPU minutes are what an idle machine would take even when others share it.
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const result = await fit(trainer, data.train, { epochs, batchSize: recipe.batchSize, seed, callbacks: [monitor], label: `${recipe.name} seed ${seed}` });
  const trainMinutes = result.trainMs / 60000;
  const wallMinutes = (performance.now() - wall0) / 60000;
  const cpu = process.cpuUsage(cpu0);
  const cpuMinutes = (cpu.user + cpu.system) / 6e7;
  if (monitor.restoredStep !== null) {
    log(`${NAME}: seed ${seed}: restored the weights of step ${monitor.restoredStep}, the best held-out PGD accuracy (${pct(monitor.bestCheck?.heldOut)}).`);
  }
  log(`${NAME}: seed ${seed}: trained ${trainer.step} minibatches in ${trainMinutes.toFixed(1)} min of steps, ${wallMinutes.toFixed(1)} min with the monitor, `
    + `${cpuMinutes.toFixed(1)} CPU min (${result.stoppedBy}); evaluating`);
  // The evaluation processes read the model from disk: the --save-model folder or a temporary one.
  const temporary = flags.saveModel ? null : await mkdtemp(join(tmpdir(), 'advtrain-model-'));
  const dir = temporary ?? (flags.seeds.length > 1 ? `${flags.saveModel}/seed-${seed}` : flags.saveModel);
  await saveLayersModel(model.model, dir);
  if (!temporary) log(`${NAME}: seed ${seed}: model written to ${dir}`);
  const evaluation = await evaluate(recipe, flags, dir, log);
  if (temporary) await rm(temporary, { recursive: true, force: true });
  const warnings = monitor.warnings.map((w) => w.message);
  const below = belowTarget(recipe, evaluation, monitor);
  if (below) {
    warnings.push(`${NAME}: seed ${seed}: ${below}`);
    log(`${NAME}: seed ${seed}: warning: ${below}`);
  }
  const run = {
    seed, epochs, minibatches: trainer.step, stoppedBy: result.stoppedBy, stopReason: result.stopReason, trainMinutes, wallMinutes, cpuMinutes,
    ...evaluation,
    restoredStep: monitor.restoredStep, checks: monitor.checks, warnings,
  };
  monitor.dispose();
  trainer.dispose();
  optimizer.dispose();
  model.dispose();
  return run;
}

/**
 * The warning for a seed that ends below the recipe's target (robust or
 * clean), with the best held-out check whose weights the monitor kept; null
 * when the seed reaches it.
 */
export function belowTarget(recipe, evaluation, monitor) {
  const misses = [];
  if (recipe.target.robust !== null && evaluation.robust < recipe.target.robust) {
    misses.push(`${pct(evaluation.robust)} under ${recipe.evaluation.name}, below the recipe's target of ${pct(recipe.target.robust)}`);
  }
  if (recipe.target.clean !== null && evaluation.clean < recipe.target.clean) {
    misses.push(`${pct(evaluation.clean)} clean, below the target of ${pct(recipe.target.clean)}`);
  }
  if (!misses.length) return null;
  const best = monitor.bestCheck;
  const kept = best ? `; the weights kept are those of step ${best.step}, the best held-out PGD-10 accuracy (${pct(best.heldOut)})` : '';
  return `ends non-robust: ${misses.join(' and ')}${kept}. Train another seed, or longer.`;
}

/** `pnpm reproduce <recipe> …`: trains each seed, evaluates it, and writes the JSON and the report. */
export async function main(argv = process.argv.slice(2), log = (line) => console.log(line)) {
  const flags = parse(argv);
  if (flags.help) {
    log(USAGE);
    return null;
  }
  const recipe = { name: flags.recipe, ...RECIPES[flags.recipe] };
  const prepared = await prepareBackend(flags.backend, flags.threads === null ? {} : { threads: flags.threads });
  log(`${NAME}: ${recipe.title}; backend ${prepared.backend} (${prepared.device})`);
  if (flags.evaluate) return evaluateSaved(recipe, flags, prepared, argv, log);
  const all = await loadMnist('train', flags.trainSize);
  const held = Math.min(1000, Math.floor(flags.trainSize / 10));
  const data = {
    train: slice(all, 0, flags.trainSize - held),
    heldOut: slice(all, flags.trainSize - held, held),
    monitorBatch: slice(all, 0, Math.min(200, flags.trainSize - held)),
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
    backend: prepared.backend, device: prepared.device, threads: prepared.threads ?? null,
    command: `pnpm reproduce ${argv.join(' ')}`, finishedAt: new Date().toISOString(), runs,
  });
  for (const seed of flags.seeds) {
    runs.push(await runSeed(recipe, flags, seed, data, log));
    // Written after every seed, so a long multi-seed run keeps what it has finished.
    if (flags.json) await writeOut(flags.json, `${JSON.stringify(summarize(), null, 2)}\n`, log);
    if (flags.report) await writeOut(flags.report, renderRecipeReport(summarize()), log);
  }
  for (const d of [data.train, data.heldOut, data.monitorBatch]) dispose(d);
  return summarize();
}

/** The recipe's protocol on the test images and AutoAttack on the first `--autoattack`, over `--workers` processes. */
async function evaluate(recipe, flags, dir, log) {
  log(`${NAME}: evaluating ${dir} with ${recipe.evaluation.name} on ${flags.testSize} test images`
    + `${flags.autoattack ? ` and AutoAttack on the first ${Math.min(flags.autoattack, flags.testSize)}` : ''} (${flags.workers} process${flags.workers === 1 ? "" : "es"})`);
  const e = await evaluateSavedModel({ recipe: recipe.name, dir, testSize: flags.testSize, autoattack: flags.autoattack, workers: flags.workers, backend: flags.backend });
  log(`${NAME}: clean ${pct(e.clean)}, ${recipe.evaluation.name} ${pct(e.robust)} (${e.evalSeconds.toFixed(0)} s)`);
  const aa = e.autoAttack;
  if (aa) {
    const after = Object.entries(aa.accuracyAfter).map(([k, v]) => `${k} ${pct(v)}`).join(', ');
    log(`${NAME}: first ${aa.images} test images: ${recipe.evaluation.name} ${pct(aa.pgd)}, AutoAttack ${pct(aa.accuracy)} (${aa.seconds.toFixed(0)} s on ${aa.workers} process${aa.workers === 1 ? '' : 'es'}; after ${after})`);
  }
  return e;
}

/** `--evaluate DIR`: the recipe's protocol and AutoAttack on a saved model, nothing trained. */
async function evaluateSaved(recipe, flags, prepared, argv, log) {
  const evaluation = await evaluate(recipe, flags, flags.evaluate, log);
  const below = belowTarget(recipe, evaluation, { bestCheck: null });
  if (below) log(`${NAME}: warning: the model ${below}`);
  const summary = {
    recipe: recipe.name, model: flags.evaluate, evaluation: `${recipe.evaluation.name} (${recipe.evaluation.source})`, testImages: flags.testSize,
    ...evaluation, warnings: below ? [below] : [], backend: prepared.backend, device: prepared.device, command: `pnpm reproduce ${argv.join(' ')}`,
    finishedAt: new Date().toISOString(),
  };
  if (flags.json) await writeOut(flags.json, `${JSON.stringify(summary, null, 2)}\n`, log);
  return summary;
}

async function writeOut(path, text, log) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  log(`${NAME}: wrote ${path}`);
}

runIfEntry(import.meta, main);
