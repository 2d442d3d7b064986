import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { prepareBackend } from '@advtrain/backends';
import { Trainer, epochsForOptimizerSteps } from '@advtrain/core';
import {
  CatastrophicOverfittingMonitor, autoAttack, cleanAccuracy, gradientMaskingWarnings, robustAccuracy, robustnessReport,
} from '@advtrain/eval';
import { fit } from '@advtrain/train';
import { renderReport } from './report.mjs';

const sliceData = (d, n) => ({ x: tf.slice(d.x, 0, n), y: tf.slice(d.y, 0, n), ...(d.mask ? { mask: tf.slice(d.mask, 0, n) } : {}) });
const disposeData = (d) => tf.dispose([d.x, d.y, ...(d.mask ? [d.mask] : [])]);
const pct = (v) => `${(100 * v).toFixed(1)} %`;

/**
 * Trains each requested strategy from the same initial weights and evaluates it:
 * accuracy against training time during the run, then clean accuracy, PGD
 * against ε, FGSM, and the gradient-masking checks of @advtrain/eval.
 *
 * spec: { name, title, flags, loadData(flags) → { train, test }, makeModel(seed) → { view, dispose },
 *         makeStrategy(name, flags) → strategy, norm: 'linf' | 'l2', reportEpsilons: number[],
 *         singleStep: string[] (strategies that get the catastrophic-overfitting monitor), learningRate, log }
 */
export async function runExperiment(spec) {
  const { flags } = spec;
  const log = spec.log ?? ((line) => console.log(line));
  if (flags.autoAttack > 0 && !spec.autoAttack) {
    throw new Error(`${spec.name}: flag --autoattack needs a model whose input is perturbed; this example perturbs embeddings (received ${flags.autoAttack}).`);
  }
  const prepared = await prepareBackend(flags.backend);
  log(`${spec.name}: backend ${prepared.backend} (${prepared.device})`);
  const t0 = performance.now();
  const { train, test } = await spec.loadData(flags);
  log(`${spec.name}: ${train.x.shape[0]} training and ${test.x.shape[0]} test examples loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const topEpsilon = Math.max(...spec.reportEpsilons);
  const attack = { norm: spec.norm, steps: flags.pgdSteps, restarts: flags.restarts, seed: flags.seed };
  const timelineSize = Math.min(200, test.x.shape[0]);
  const timelineData = sliceData(test, timelineSize);
  const timelineAttack = { norm: spec.norm, steps: Math.min(5, flags.pgdSteps), epsilon: topEpsilon, seed: flags.seed };
  const epsilons = [...new Set([...flags.curve, ...spec.reportEpsilons])].filter((e) => e > 0).sort((a, b) => a - b);
  const runs = [];
  for (const name of flags.strategies) {
    const model = spec.makeModel(flags.seed);
    const strategy = await spec.makeStrategy(name, flags);
    const optimizer = tf.train.adam(spec.learningRate ?? 1e-3);
    const trainer = new Trainer(strategy, { view: model.view, optimizer, seed: flags.seed });
    log(`${spec.name}: training ${strategy.toString()}`);
    const timeline = [];
    const snapshot = async (trainMs, step) => {
      const clean = (await cleanAccuracy(model.view, timelineData)).accuracy;
      const robust = (await robustAccuracy(model.view, timelineData, timelineAttack)).accuracy;
      timeline.push({ trainSeconds: trainMs / 1000, step, clean, robust });
    };
    await snapshot(0, 0);
    const perEpoch = Math.ceil(train.x.shape[0] / flags.batchSize);
    const every = Math.max(1, Math.floor(perEpoch / 3));
    const callbacks = [{
      onStep: (report, info) => (info.stepInEpoch % every === 0 ? snapshot(info.trainMs, report.step + 1) : undefined),
    }];
    let monitor = null;
    if (spec.singleStep?.includes(name)) {
      const batch = sliceData(train, Math.min(flags.batchSize, train.x.shape[0]));
      monitor = { batch, callback: new CatastrophicOverfittingMonitor(model.view, batch, { ...timelineAttack, steps: 5 }) };
      callbacks.push(monitor.callback);
    }
    const epochs = epochsForOptimizerSteps(flags.epochs, strategy.capabilities.optimizerStepsPerBatch);
    const result = await fit(trainer, train, {
      epochs, batchSize: flags.batchSize, seed: flags.seed, minutes: flags.minutes, callbacks, label: name,
      checkpointPath: flags.checkpoint ? join(flags.checkpoint, `${name}.json`) : null, resume: Boolean(flags.checkpoint),
    });
    log(`${spec.name}: ${name}: ${result.steps} steps in ${(result.trainMs / 1000).toFixed(1)} s (${result.stoppedBy}); evaluating on ${test.x.shape[0]} test examples`);
    const report = await robustnessReport(model.view, test, { epsilons, attack, fgsm: true, batchSize: 250 });
    const curve = [{ epsilon: 0, accuracy: report.clean }, ...report.pgd];
    const robust = Object.fromEntries(spec.reportEpsilons.map((e) => [String(e), curve.find((p) => p.epsilon === e)?.accuracy ?? null]));
    const strong = flags.autoAttack > 0 ? await autoAttackNextToPgd(model.view, test, { ...attack, epsilon: topEpsilon }, flags.autoAttack, log, `${spec.name}: ${name}`) : null;
    const warnings = [...report.warnings, ...(strong?.warnings ?? [])].map((w) => w.message);
    if (monitor?.callback.flagged) warnings.push('catastrophic overfitting flagged by the PGD monitor on a training minibatch');
    runs.push({
      strategy: name, description: strategy.toString(), epochs: result.history.length, steps: trainer.step,
      stoppedBy: result.stoppedBy, trainSeconds: result.trainMs / 1000, clean: report.clean, robust, curve, fgsm: report.fgsm,
      timeline, history: result.history, autoAttack: strong?.summary ?? null, warnings,
    });
    log(`${spec.name}: ${name}: clean ${pct(report.clean)}, ${spec.reportEpsilons.map((e) => `PGD-${flags.pgdSteps} ε=${e} ${robust[String(e)] === null ? '–' : pct(robust[String(e)])}`).join(', ')}`);
    for (const w of warnings) log(`${spec.name}: ${name}: warning: ${w}`);
    if (monitor) disposeData(monitor.batch);
    trainer.dispose();
    optimizer.dispose();
    model.dispose();
  }
  disposeData(timelineData);
  disposeData(train);
  disposeData(test);
  const summary = {
    title: spec.title, backend: prepared.backend, device: prepared.device, finishedAt: new Date().toISOString(),
    options: flags, reportEpsilons: spec.reportEpsilons, evalAttack: `PGD-${flags.pgdSteps} ${spec.norm}, ${flags.restarts} restart(s)`,
    timelineAttack: `PGD-${timelineAttack.steps} ε=${topEpsilon}`, timelineSize, runs,
  };
  if (flags.json) await writeOut(flags.json, `${JSON.stringify(summary, null, 2)}\n`, log);
  if (flags.report) await writeOut(flags.report, renderReport(summary), log);
  return summary;
}

/**
 * AutoAttack's standard suite and the example's PGD on the first `n` test
 * examples at the largest reported ε, each timed, with the gradient-masking
 * warnings that compare them.
 */
async function autoAttackNextToPgd(view, test, attack, n, log, label) {
  const subset = sliceData(test, Math.min(n, test.x.shape[0]));
  const images = subset.x.shape[0];
  let t0 = performance.now();
  const pgd = await robustAccuracy(view, subset, attack, { batchSize: 250 });
  const pgdSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const aa = await autoAttack(view, subset, { epsilon: attack.epsilon, norm: attack.norm, seed: attack.seed, batchSize: 250, progress: false });
  const seconds = (performance.now() - t0) / 1000;
  disposeData(subset);
  log(`${label}: first ${images} test examples at ε=${attack.epsilon}: PGD-${attack.steps} ${pct(pgd.accuracy)} (${pgdSeconds.toFixed(1)} s), `
    + `AutoAttack ${pct(aa.accuracy)} (${seconds.toFixed(1)} s)`);
  return {
    summary: { images, epsilon: attack.epsilon, pgd: pgd.accuracy, pgdSeconds, accuracy: aa.accuracy, seconds, accuracyAfter: aa.accuracyAfter },
    warnings: gradientMaskingWarnings({ epsilonCurve: [{ epsilon: attack.epsilon, accuracy: pgd.accuracy }], autoAttack: aa }),
  };
}

async function writeOut(path, text, log) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  log(`wrote ${path}`);
}
