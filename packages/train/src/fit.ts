import { existsSync } from 'node:fs';
import { checkOptions, type Batch, type StepReport, type Trainer } from '@advtrain/core';
import type { EpochHookInfo } from '@advtrain/eval';
import { restoreCheckpoint, saveCheckpoint, type EpochRecord } from './checkpoint-file.js';
import { PKG, batchesPerEpoch, checkDataset, epochBatches, type Dataset } from './dataset.js';
import { createProgress, type ProgressStream } from './progress.js';

/** End-of-epoch information handed to callbacks; they may add metrics and ask to stop. */
export interface EpochInfo extends EpochHookInfo {
  readonly meanLoss: number;
  readonly steps: number;
  /** Cumulative training time, ms (evaluation and callbacks excluded). */
  readonly trainMs: number;
  readonly trainer: Trainer;
}

/** Where the loop is after a step. */
export interface StepInfo {
  readonly epoch: number;
  /** Steps done in this epoch, from 1. */
  readonly stepInEpoch: number;
  readonly batch: Batch;
  /** Cumulative training time, ms (evaluation and callbacks excluded). */
  readonly trainMs: number;
  readonly trainer: Trainer;
  /** Asks the loop to stop after this step (the epoch still ends with its callbacks and checkpoint). */
  stop(reason: string): void;
}

/** Lightning-style hooks; every one is optional. */
export interface Callback {
  /** After every training step. */
  onStep?(report: StepReport, info: StepInfo): void | Promise<void>;
  /** After every epoch; add metrics to `info.metrics`, or call `info.stop(reason)` to end the run. */
  onEpochEnd?(info: EpochInfo): void | Promise<void>;
  /** Once, when the run ends for any reason. */
  onTrainEnd?(result: FitResult): void | Promise<void>;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Epochs to run (upper bound when `minutes` is set). */
  readonly epochs: number;
  readonly batchSize: number;
  /** Seed of the shuffling. Default: the trainer's seed. */
  readonly seed?: number;
  readonly shuffle?: boolean;
  /** Wall-clock budget for training steps, minutes; the loop stops at the first step past it. Default none. */
  readonly minutes?: number | null;
  readonly callbacks?: readonly Callback[];
  /** Progress output: a stream, or false for none. Default process.stdout. */
  readonly progress?: ProgressStream | false;
  /** Label in front of progress lines (e.g. the strategy). Default none. */
  readonly label?: string;
  /** Write the run's state here after every epoch (JSON). Default none. */
  readonly checkpointPath?: string | null;
  /** Continue from `checkpointPath` when it exists. Default false. */
  readonly resume?: boolean;
  /** Extra JSON data stored in checkpoint files. */
  readonly meta?: Record<string, unknown>;
}

/** What {@link fit} returns. */
export interface FitResult {
  readonly history: EpochRecord[];
  /** Why the loop ended. */
  readonly stoppedBy: 'epochs' | 'time' | 'callback';
  readonly stopReason: string | null;
  readonly steps: number;
  readonly trainMs: number;
  /** Epoch the run resumed from (0 for a fresh run). */
  readonly resumedFrom: number;
}

const DEFAULTS = {
  epochs: undefined as unknown as number, batchSize: undefined as unknown as number, seed: undefined as unknown as number,
  shuffle: true, minutes: null as number | null, callbacks: [] as readonly Callback[], progress: undefined as ProgressStream | false | undefined,
  label: '', checkpointPath: null as string | null, resume: false, meta: {} as Record<string, unknown>,
};

function resolve(options: FitOptions, trainer: Trainer) {
  const c = checkOptions(PKG, options, DEFAULTS).integer('epochs', { min: 1 }).integer('batchSize', { min: 1 }).boolean('shuffle').boolean('resume');
  if (c.isSet('seed')) c.integerSeed('seed');
  if (c.values.minutes !== null) c.positive('minutes');
  if (c.values.resume && !c.values.checkpointPath) c.fail('checkpointPath', 'a file path when "resume" is true');
  const v = c.done();
  return { ...v, seed: c.isSet('seed') ? v.seed : trainer.setup.seed };
}

/**
 * Trains `trainer` on an in-memory dataset: deterministic shuffled batches per
 * epoch (from the seed), progress, callbacks after each epoch, an optional
 * wall-clock budget, and a checkpoint file per epoch from which an interrupted
 * run resumes exactly (batches of epoch e depend only on (seed, e)).
 */
export async function fit(trainer: Trainer, data: Dataset, options: FitOptions): Promise<FitResult> {
  const o = resolve(options, trainer);
  const n = checkDataset(data, 'training data');
  const batchOptions = { batchSize: o.batchSize, seed: o.seed, shuffle: o.shuffle };
  const perEpoch = batchesPerEpoch(n, batchOptions);
  const progress = o.progress === false ? null : createProgress({ epochs: o.epochs, label: o.label, ...(o.progress ? { stream: o.progress } : {}) });
  let history: EpochRecord[] = [];
  let trainMs = 0;
  let first = 0;
  if (o.resume && o.checkpointPath && existsSync(o.checkpointPath)) {
    const file = await restoreCheckpoint(trainer, o.checkpointPath);
    history = [...file.history];
    trainMs = file.trainMs;
    first = file.epoch;
    progress?.message(`${PKG}: resumed from ${o.checkpointPath} after epoch ${first} (step ${trainer.step}).`);
  }
  const budgetMs = o.minutes === null ? Infinity : o.minutes * 60_000;
  let stoppedBy: FitResult['stoppedBy'] = 'epochs';
  let stopReason: string | null = null;
  let steps = 0;
  for (let epoch = first; epoch < o.epochs && stoppedBy === 'epochs'; epoch++) {
    let sum = 0;
    let count = 0;
    for (const batch of epochBatches(data, epoch, batchOptions)) {
      const t0 = performance.now();
      // The position drives the trainer's learning-rate and ε schedules, if it has any.
      const report = await trainer.trainStep(batch, { epoch, index: count, batchesPerEpoch: perEpoch });
      trainMs += performance.now() - t0;
      sum += report.loss;
      count += 1;
      steps += 1;
      progress?.step(epoch, count, perEpoch, sum / count);
      const stop = (reason: string): void => {
        if (stoppedBy === 'epochs') { stoppedBy = 'callback'; stopReason = reason; }
      };
      for (const cb of o.callbacks) await cb.onStep?.(report, { epoch, stepInEpoch: count, batch, trainMs, trainer, stop });
      if ((stoppedBy as FitResult['stoppedBy']) === 'callback') break;
      if (trainMs > budgetMs) {
        stoppedBy = 'time';
        stopReason = `${PKG}: wall-clock budget of ${o.minutes} min reached after ${count}/${perEpoch} steps of epoch ${epoch + 1}.`;
        break;
      }
    }
    const metrics: Record<string, number> = {};
    const info: EpochInfo = {
      epoch, meanLoss: count ? sum / count : NaN, steps: count, trainMs, trainer, metrics,
      stop(reason) {
        if (stoppedBy === 'epochs') { stoppedBy = 'callback'; stopReason = reason; }
      },
    };
    for (const cb of o.callbacks) await cb.onEpochEnd?.(info);
    history.push({ epoch, meanLoss: info.meanLoss, steps: count, trainMs, metrics });
    progress?.epoch(epoch, o.epochs, [`loss ${info.meanLoss.toFixed(4)}`,
      ...Object.entries(metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)].join(', '));
    if (stopReason) progress?.message(stopReason);
    if (o.checkpointPath) await saveCheckpoint(o.checkpointPath, trainer, { epoch: epoch + 1, trainMs, history, meta: o.meta });
  }
  const result: FitResult = { history, stoppedBy, stopReason, steps, trainMs, resumedFrom: first };
  for (const cb of o.callbacks) await cb.onTrainEnd?.(result);
  return result;
}
