import type * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, describeValue } from './errors.js';

const PKG = '@advtrain/core';

/**
 * Where training is when a scheduled value is read. `epoch` counts this
 * optimizer step as done: after minibatch i of n in epoch e it is
 * `e + (i + 1) / n`, the convention of the "Fast is better than free" code.
 * Strategies that take m optimizer steps per minibatch (FreeAT) advance it by
 * `1 / (m·n)` per step.
 */
export interface ScheduleProgress {
  /** Fractional epochs completed once this optimizer step is taken. */
  readonly epoch: number;
  /** Optimizer steps taken before this one, from 0. */
  readonly optimizerStep: number;
}

/** A value as a function of training progress (learning rate, ε scale, …). */
export type Schedule = (progress: ScheduleProgress) => number;

function check(name: string, option: string, ok: boolean, expected: string, value: unknown): void {
  if (!ok) {
    throw new AdvtrainError('ADVTRAIN_INVALID_OPTION',
      `${PKG}: ${name} option "${option}" must be ${expected} (received ${describeValue(value)}).`);
  }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The same value at every step. */
export function constantSchedule(value: number): Schedule {
  check('constantSchedule', 'value', finite(value), 'a finite number', value);
  return () => value;
}

/**
 * Linear interpolation through `(epochs[k], values[k])`, constant beyond the
 * ends (`np.interp`). `epochs` must increase.
 */
export function interpolatedSchedule(points: { readonly epochs: readonly number[]; readonly values: readonly number[] }): Schedule {
  const { epochs, values } = points;
  check('interpolatedSchedule', 'epochs', Array.isArray(epochs) && epochs.length > 0 && epochs.every(finite)
    && epochs.every((e, k) => k === 0 || e >= (epochs[k - 1] as number)), 'a non-empty list of non-decreasing finite numbers', epochs);
  check('interpolatedSchedule', 'values', Array.isArray(values) && values.length === epochs.length && values.every(finite),
    `a list of ${epochs.length} finite numbers (one per epoch)`, values);
  return ({ epoch }) => {
    if (epoch <= (epochs[0] as number)) return values[0] as number;
    for (let k = 1; k < epochs.length; k++) {
      const e1 = epochs[k] as number;
      if (epoch <= e1) {
        const e0 = epochs[k - 1] as number;
        const v0 = values[k - 1] as number;
        const v1 = values[k] as number;
        return e1 === e0 ? v1 : v0 + (v1 - v0) * (epoch - e0) / (e1 - e0);
      }
    }
    return values[values.length - 1] as number;
  };
}

/**
 * Piecewise constant: `values[0]` until epoch `boundaries[0]`, then
 * `values[1]`, … (Madry et al.; Rice et al.). A step that ends exactly on a
 * boundary still uses the earlier value. `values` has one more entry than `boundaries`.
 */
export function piecewiseSchedule(options: { readonly boundaries: readonly number[]; readonly values: readonly number[] }): Schedule {
  const { boundaries, values } = options;
  check('piecewiseSchedule', 'boundaries', Array.isArray(boundaries) && boundaries.every(finite)
    && boundaries.every((b, k) => k === 0 || b > (boundaries[k - 1] as number)), 'a list of increasing finite epochs', boundaries);
  check('piecewiseSchedule', 'values', Array.isArray(values) && values.length === boundaries.length + 1 && values.every(finite),
    `a list of ${boundaries.length + 1} finite numbers (one more than boundaries)`, values);
  return ({ epoch }) => {
    let k = 0;
    while (k < boundaries.length && epoch > (boundaries[k] as number)) k++;
    return values[k] as number;
  };
}

/**
 * Triangular one-cycle: 0 → `peak` at `peakEpoch` → 0 at `epochs`, linear in
 * between. The default peak epoch is `floor(2·epochs / 5)`, as in the
 * `lr_schedule` of locuslab/fast_adversarial `MNIST/train_mnist.py`.
 */
export function cyclicSchedule(options: { readonly peak: number; readonly epochs: number; readonly peakEpoch?: number }): Schedule {
  const { peak, epochs } = options;
  check('cyclicSchedule', 'peak', finite(peak) && peak > 0, 'a finite number > 0', peak);
  check('cyclicSchedule', 'epochs', finite(epochs) && epochs > 0, 'a finite number > 0', epochs);
  const peakEpoch = options.peakEpoch ?? Math.floor(2 * epochs / 5);
  check('cyclicSchedule', 'peakEpoch', finite(peakEpoch) && peakEpoch >= 0 && peakEpoch <= epochs,
    `a number from 0 to epochs (${epochs})`, peakEpoch);
  return interpolatedSchedule({ epochs: [0, peakEpoch, epochs], values: [0, peak, 0] });
}

/** Linear warm-up from 0 to `peak` over `warmupEpochs`, then cosine decay to `final` at `epochs`. */
export function cosineSchedule(options: {
  readonly peak: number; readonly epochs: number; readonly warmupEpochs?: number; readonly final?: number;
}): Schedule {
  const { peak, epochs, warmupEpochs = 0, final = 0 } = options;
  check('cosineSchedule', 'peak', finite(peak) && peak > 0, 'a finite number > 0', peak);
  check('cosineSchedule', 'epochs', finite(epochs) && epochs > 0, 'a finite number > 0', epochs);
  check('cosineSchedule', 'warmupEpochs', finite(warmupEpochs) && warmupEpochs >= 0 && warmupEpochs < epochs,
    `a number from 0 to below epochs (${epochs})`, warmupEpochs);
  check('cosineSchedule', 'final', finite(final) && final >= 0, 'a finite number >= 0', final);
  return ({ epoch }) => {
    if (epoch < warmupEpochs) return peak * epoch / warmupEpochs;
    const t = Math.min(1, (epoch - warmupEpochs) / (epochs - warmupEpochs));
    return final + (peak - final) * 0.5 * (1 + Math.cos(Math.PI * t));
  };
}

/**
 * Linear ramp from `from` to `to` between `startEpoch` and `endEpoch`,
 * constant outside: the usual ε ramp-up (`epsilonScale: linearRamp({ from: 0, to: 1, endEpoch: 5 })`).
 */
export function linearRamp(options: { readonly from: number; readonly to: number; readonly endEpoch: number; readonly startEpoch?: number }): Schedule {
  const { from, to, endEpoch, startEpoch = 0 } = options;
  check('linearRamp', 'from', finite(from), 'a finite number', from);
  check('linearRamp', 'to', finite(to), 'a finite number', to);
  check('linearRamp', 'startEpoch', finite(startEpoch) && startEpoch >= 0, 'a finite number >= 0', startEpoch);
  check('linearRamp', 'endEpoch', finite(endEpoch) && endEpoch > startEpoch, `a finite number > startEpoch (${startEpoch})`, endEpoch);
  return interpolatedSchedule({ epochs: [startEpoch, endEpoch], values: [from, to] });
}

/** Reads a schedule and checks that it gave a finite number. */
export function readSchedule(name: string, schedule: Schedule, progress: ScheduleProgress): number {
  const value = schedule(progress);
  if (!finite(value)) {
    throw new AdvtrainError('ADVTRAIN_INVALID_OPTION',
      `${PKG}: schedule "${name}" must return a finite number; at epoch ${progress.epoch} it returned ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Sets the learning rate of a tfjs optimizer before its next step. SGD and
 * momentum have a setter; Adam, Adamax, RMSProp, Adagrad and Adadelta read a
 * plain `learningRate` field on every update.
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  check('setLearningRate', 'learningRate', finite(learningRate) && learningRate >= 0, 'a finite number >= 0', learningRate);
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate?: unknown };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else if (typeof o.learningRate === 'number') o.learningRate = learningRate;
  else {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      `${PKG}: cannot schedule the learning rate of ${optimizer.getClassName?.() ?? 'this optimizer'}: it has neither setLearningRate() nor a numeric learningRate field.`);
  }
}

/** The ε scale of a step: `ctx.epsilonScale`, or 1 when the trainer schedules none. */
export function epsilonScaleOf(ctx: { readonly epsilonScale?: number }): number {
  return ctx.epsilonScale ?? 1;
}

/** Schedules a {@link Trainer} applies before every optimizer step. */
export interface TrainerSchedules {
  /** Learning rate set on the optimizer before each of its steps (FreeAT's replays included). */
  readonly learningRate?: Schedule;
  /** Factor on every strategy radius and step size, read once per minibatch (an ε ramp-up). */
  readonly epsilonScale?: Schedule;
}

/** Where a minibatch sits in its epoch; gives schedules their fractional epoch. */
export interface StepPosition {
  /** Epoch, from 0. */
  readonly epoch: number;
  /** Index of the minibatch in the epoch, from 0. */
  readonly index: number;
  /** Minibatches in the epoch. */
  readonly batchesPerEpoch: number;
}

/**
 * Progress after optimizer step `k` (from 0) of `m` on the minibatch at
 * `position`: `epoch + (index + (k + 1)/m) / batchesPerEpoch`.
 */
export function progressAt(position: StepPosition, k: number, m: number, optimizerStep: number): ScheduleProgress {
  return { epoch: position.epoch + (position.index + (k + 1) / m) / position.batchesPerEpoch, optimizerStep };
}
