import { AdvtrainError, type ModelView } from '@advtrain/core';
import { autoAttack, cleanAccuracy, robustAccuracy, type AttackOptions, type AutoAttackOptions, type EvalData } from '@advtrain/eval';
import { saveCheckpoint } from './checkpoint-file.js';
import { PKG } from './dataset.js';
import type { Callback, EpochInfo } from './fit.js';

/** Runs `evaluate` after every epoch and records what it returns as metrics. */
export function evaluateEachEpoch(evaluate: (epoch: number, info: EpochInfo) => Promise<Record<string, number>>): Callback {
  return {
    async onEpochEnd(info) {
      Object.assign(info.metrics, await evaluate(info.epoch, info));
    },
  };
}

/** AutoAttack settings of {@link robustEvaluation}; ε and the norm default to the PGD attack's. */
export type AutoAttackMetricOptions = Omit<AutoAttackOptions, 'epsilon' | 'norm' | 'batchSize'>
  & { readonly epsilon?: number; readonly norm?: 'linf' | 'l2' };

/**
 * Per-epoch clean and robust accuracy on held-out data, as metrics
 * `cleanAccuracy` and `robustAccuracy` (PGD from @advtrain/eval). With
 * `autoAttack` (true, or AutoAttack options) it also records
 * `autoAttackAccuracy`: the standard AutoAttack suite at the same ε and norm,
 * without a progress bar unless asked. It costs far more than PGD, so use a
 * small held-out set.
 */
export function robustEvaluation(view: ModelView, data: EvalData, attack: AttackOptions,
  options: { batchSize?: number; autoAttack?: boolean | AutoAttackMetricOptions } = {}): Callback {
  const { autoAttack: suite, ...rest } = options;
  const suiteOptions = suite ? (suite === true ? {} : suite) : null;
  return evaluateEachEpoch(async () => ({
    cleanAccuracy: (await cleanAccuracy(view, data, rest)).accuracy,
    robustAccuracy: (await robustAccuracy(view, data, attack, rest)).accuracy,
    ...(suiteOptions ? { autoAttackAccuracy: (await autoAttack(view, data, {
      epsilon: attack.epsilon, norm: attack.norm ?? 'linf', progress: false, ...rest, ...suiteOptions })).accuracy } : {}),
  }));
}

interface MonitorOptions {
  /** Metric to watch. Default `'robustAccuracy'`. */
  readonly monitor?: string;
  /** `'max'` (default) or `'min'`. */
  readonly mode?: 'max' | 'min';
}

function metricOf(info: EpochInfo, monitor: string): number {
  const value = monitor === 'loss' ? info.meanLoss : info.metrics[monitor];
  if (typeof value !== 'number') {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `${PKG}: metric ${JSON.stringify(monitor)} was not recorded at epoch ${info.epoch} (known: loss${Object.keys(info.metrics).map((k) => `, ${k}`).join('')}); add an evaluation callback before this one.`);
  }
  return value;
}

const better = (mode: 'max' | 'min', a: number, b: number, minDelta = 0) => (mode === 'max' ? a > b + minDelta : a < b - minDelta);

/** Stops when `monitor` has not improved by more than `minDelta` for `patience` epochs. */
export function earlyStopping(options: MonitorOptions & { patience?: number; minDelta?: number } = {}): Callback & { readonly best: number | null } {
  const { monitor = 'robustAccuracy', mode = 'max', patience = 2, minDelta = 0 } = options;
  let best: number | null = null;
  let waited = 0;
  return {
    get best() { return best; },
    onEpochEnd(info) {
      const value = metricOf(info, monitor);
      if (best === null || better(mode, value, best, minDelta)) {
        best = value;
        waited = 0;
        return;
      }
      waited += 1;
      if (waited >= patience) info.stop(`${PKG}: early stopping: ${monitor} has not improved on ${best} for ${patience} epochs.`);
    },
  };
}

/** Saves a checkpoint file whenever `monitor` (default robust accuracy) reaches a new best. */
export function bestCheckpoint(path: string, options: MonitorOptions = {}): Callback & { readonly best: number | null; readonly bestEpoch: number | null } {
  const { monitor = 'robustAccuracy', mode = 'max' } = options;
  let best: number | null = null;
  let bestEpoch: number | null = null;
  return {
    get best() { return best; },
    get bestEpoch() { return bestEpoch; },
    async onEpochEnd(info) {
      const value = metricOf(info, monitor);
      if (best !== null && !better(mode, value, best)) return;
      best = value;
      bestEpoch = info.epoch;
      await saveCheckpoint(path, info.trainer, {
        epoch: info.epoch + 1, trainMs: info.trainMs, history: [], meta: { monitor, best: value } });
    },
  };
}
