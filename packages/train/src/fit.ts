import { existsSync } from 'node:fs';
import { checkOptions, epochsForOptimizerSteps, type Batch, type StepPosition, type StepReport, type Trainer } from '@advtrain/core';
import type { EpochHookInfo } from '@advtrain/eval';
import { restoreCheckpoint, saveCheckpoint, type EpochRecord } from './checkpoint-file.js';
import { PKG, batchesPerEpoch, checkDataset, epochBatches, type BatchSource, type Dataset } from './dataset.js';
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
  /**
   * Divide `epochs` by the strategy's optimizer steps per minibatch, rounding
   * up (`ceil(E / m)` for FreeAT's m replays), so that the run takes natural
   * training's number of optimizer steps. Default false.
   */
  readonly matchOptimizerSteps?: boolean;
  /** Minibatch size: required with a `Dataset`; left out with a `BatchSource`, which makes its own minibatches. */
  readonly batchSize?: number;
  /** Seed of a `Dataset`'s shuffling. Default: the trainer's seed. */
  readonly seed?: number;
  /** Shuffle a `Dataset` every epoch. Default true. */
  readonly shuffle?: boolean;
  /**
   * Minibatches per epoch of a `BatchSource` (the number it yields): it places
   * every step in its epoch for the trainer's schedules and sizes the progress
   * bar. Default null: unknown, and the trainer's own `stepsPerEpoch` places
   * the steps. Left out with a `Dataset`, where it follows from `batchSize`.
   */
  readonly batchesPerEpoch?: number | null;
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
  epochs: undefined as unknown as number, matchOptimizerSteps: false, batchSize: undefined as unknown as number,
  seed: undefined as unknown as number, shuffle: true, batchesPerEpoch: null as number | null, minutes: null as number | null, callbacks: [] as readonly Callback[], progress: undefined as ProgressStream | false | undefined,
  label: '', checkpointPath: null as string | null, resume: false, meta: {} as Record<string, unknown>,
};

function resolve(options: FitOptions, trainer: Trainer, fromSource: boolean) {
  const c = checkOptions(PKG, options, DEFAULTS).integer('epochs', { min: 1 }).boolean('matchOptimizerSteps')
    .boolean('shuffle').boolean('resume');
  if (fromSource) {
    for (const name of ['batchSize', 'seed', 'shuffle'] as const) {
      if (c.isSet(name)) c.fail(name, 'left out with a batch source', 'The source makes its own minibatches.');
    }
    if (c.values.batchesPerEpoch !== null) c.integer('batchesPerEpoch', { min: 1 });
  } else {
    c.integer('batchSize', { min: 1 });
    if (c.isSet('seed')) c.integerSeed('seed');
    if (c.isSet('batchesPerEpoch')) c.fail('batchesPerEpoch', 'left out with a Dataset', 'It follows from the dataset and batchSize.');
  }
  if (c.values.minutes !== null) c.positive('minutes');
  if (c.values.resume && !c.values.checkpointPath) c.fail('checkpointPath', 'a file path when "resume" is true');
  const v = c.done();
  return { ...v, seed: c.isSet('seed') ? v.seed : trainer.setup.seed };
}

/**
 * The training loop: runs `trainer.trainStep` over the minibatches of every
 * epoch, with progress, callbacks after each step and epoch, an optional
 * wall-clock budget, and a checkpoint file per epoch from which an
 * interrupted run resumes exactly.
 *
 * `data` is an in-memory `Dataset`, cut into deterministic shuffled batches
 * per epoch (batches of epoch e depend only on (seed, e)), or a `BatchSource`:
 * a function of the epoch returning the epoch's batches as an array, an
 * iterable or an async iterable, whose tensors the caller owns. A step whose
 * batch was skipped (`onNonFinite: 'skip'`) counts as a step but not in the
 * epoch's mean loss.
 *
 * ```ts
 * import { fit } from '@advtrain/train';
 * const { history } = await fit(trainer, () => batches, { epochs: 5, progress: false });
 * ```
 */
export async function fit(trainer: Trainer, data: Dataset | BatchSource, options: FitOptions): Promise<FitResult> {
  const fromSource = typeof data === 'function';
  const o = resolve(options, trainer, fromSource);
  let source: BatchSource;
  let perEpoch: number | null;
  if (fromSource) {
    source = data;
    perEpoch = o.batchesPerEpoch;
  } else {
    const n = checkDataset(data, 'training data');
    const batchOptions = { batchSize: o.batchSize, seed: o.seed, shuffle: o.shuffle };
    perEpoch = batchesPerEpoch(n, batchOptions);
    source = (epoch) => epochBatches(data, epoch, batchOptions);
  }
  const epochs = o.matchOptimizerSteps
    ? epochsForOptimizerSteps(o.epochs, trainer.strategy.capabilities.optimizerStepsPerBatch)
    : o.epochs;
  const progress = o.progress === false ? null : createProgress({ epochs, label: o.label, ...(o.progress ? { stream: o.progress } : {}) });
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
  for (let epoch = first; epoch < epochs && stoppedBy === 'epochs'; epoch++) {
    let sum = 0;
    let count = 0;
    let losses = 0;
    for await (const batch of source(epoch)) {
      const t0 = performance.now();
      // The position drives the trainer's learning-rate and ε schedules, if it has any.
      const position: StepPosition | undefined = perEpoch === null ? undefined : { epoch, index: count, batchesPerEpoch: perEpoch };
      const report = await trainer.trainStep(batch, position);
      trainMs += performance.now() - t0;
      if (!report.skipped) {
        sum += report.loss;
        losses += 1;
      }
      count += 1;
      steps += 1;
      progress?.step(epoch, count, perEpoch, losses ? sum / losses : NaN);
      const stop = (reason: string): void => {
        if (stoppedBy === 'epochs') { stoppedBy = 'callback'; stopReason = reason; }
      };
      for (const cb of o.callbacks) await cb.onStep?.(report, { epoch, stepInEpoch: count, batch, trainMs, trainer, stop });
      if ((stoppedBy as FitResult['stoppedBy']) === 'callback') break;
      if (trainMs > budgetMs) {
        stoppedBy = 'time';
        stopReason = `${PKG}: wall-clock budget of ${o.minutes} min reached after ${count}${perEpoch === null ? '' : `/${perEpoch}`} steps of epoch ${epoch + 1}.`;
        break;
      }
    }
    const metrics: Record<string, number> = {};
    const info: EpochInfo = {
      epoch, meanLoss: losses ? sum / losses : NaN, steps: count, trainMs, trainer, metrics,
      stop(reason) {
        if (stoppedBy === 'epochs') { stoppedBy = 'callback'; stopReason = reason; }
      },
    };
    for (const cb of o.callbacks) await cb.onEpochEnd?.(info);
    history.push({ epoch, meanLoss: info.meanLoss, steps: count, trainMs, metrics });
    progress?.epoch(epoch, epochs, [`loss ${info.meanLoss.toFixed(4)}`,
      ...Object.entries(metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)].join(', '));
    if (stopReason) progress?.message(stopReason);
    if (o.checkpointPath) await saveCheckpoint(o.checkpointPath, trainer, { epoch: epoch + 1, trainMs, history, meta: o.meta });
  }
  const result: FitResult = { history, stoppedBy, stopReason, steps, trainMs, resumedFrom: first };
  for (const cb of o.callbacks) await cb.onTrainEnd?.(result);
  return result;
}
