import * as tf from '@tensorflow/tfjs-core';
import { AdvtrainError, type Batch, type ModelView } from '@advtrain/core';
import { pgdAttack, resolveAttack, type AttackOptions } from './attack.js';
import { PKG, checkBatch } from './data.js';

/** The part of a training loop's end-of-epoch information a callback needs (see `@advtrain/train`). */
export interface EpochHookInfo {
  readonly epoch: number;
  /** Metrics of this epoch; callbacks may add their own. */
  readonly metrics: Record<string, number>;
  /** Asks the loop to stop after this epoch. */
  stop(reason: string): void;
}

export interface OverfittingOptions extends AttackOptions {
  /** Flag when robust accuracy falls by more than this vs the previous epoch. Default 0.2 (Wong et al.). */
  readonly threshold?: number;
  /** Stop training when flagged (as a callback). Default true. */
  readonly stopOnFlag?: boolean;
  /** Metric name written into `info.metrics`. Default `'monitorRobustAccuracy'`. */
  readonly metric?: string;
}

/** One epoch's check of {@link CatastrophicOverfittingMonitor}. */
export interface OverfittingCheck {
  readonly epoch: number;
  readonly robustAccuracy: number;
  readonly previous: number | null;
  readonly flagged: boolean;
}

/**
 * Catastrophic-overfitting monitor for single-step methods ("Fast is better
 * than free", Wong, Rice & Kolter 2020): after each epoch, PGD on one fixed
 * training minibatch; robust accuracy falling by more than `threshold` since
 * the previous epoch means FGSM training has collapsed. Use `check()` by hand,
 * or pass the monitor as a training-loop callback (`onEpochEnd`).
 * Wong et al.'s check is PGD-5 with one restart, the default here.
 */
export class CatastrophicOverfittingMonitor {
  readonly history: OverfittingCheck[] = [];
  private readonly view: ModelView;
  private readonly batch: Batch;
  private readonly options: OverfittingOptions;
  private readonly threshold: number;

  constructor(view: ModelView, batch: Batch, options: OverfittingOptions) {
    const { threshold = 0.2, stopOnFlag: _s, metric: _m, ...attack } = options;
    resolveAttack({ steps: 5, ...attack });
    if (!(threshold > 0 && threshold < 1)) {
      throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT', `${PKG}: option "threshold" must be in (0, 1) (received ${threshold}).`);
    }
    checkBatch(batch, 'the monitor batch');
    this.view = view;
    this.batch = batch;
    this.options = options;
    this.threshold = threshold;
  }

  /** True once any check has flagged. */
  get flagged(): boolean {
    return this.history.some((h) => h.flagged);
  }

  /** Runs the PGD check now and records it under `epoch`. */
  async check(epoch = this.history.length): Promise<OverfittingCheck> {
    const { threshold: _t, stopOnFlag: _s, metric: _m, ...attack } = this.options;
    const { delta, correct } = await pgdAttack(this.view, this.batch, { steps: 5, ...attack });
    const values = Array.from(await correct.data());
    tf.dispose([delta, correct]);
    const robustAccuracy = values.reduce((s, v) => s + v, 0) / values.length;
    const previous = this.history.length ? (this.history[this.history.length - 1] as OverfittingCheck).robustAccuracy : null;
    const flagged = previous !== null && previous - robustAccuracy > this.threshold;
    const result = { epoch, robustAccuracy, previous, flagged };
    this.history.push(result);
    return result;
  }

  /** Training-loop callback: records the check as a metric and stops the run when flagged. */
  async onEpochEnd(info: EpochHookInfo): Promise<void> {
    const r = await this.check(info.epoch);
    info.metrics[this.options.metric ?? 'monitorRobustAccuracy'] = r.robustAccuracy;
    if (r.flagged && this.options.stopOnFlag !== false) {
      info.stop(`${PKG}: catastrophic overfitting at epoch ${r.epoch}: PGD accuracy on the monitor batch fell from `
        + `${((r.previous ?? 0) * 100).toFixed(1)} % to ${(r.robustAccuracy * 100).toFixed(1)} % (more than ${this.threshold * 100} points).`);
    }
  }
}
