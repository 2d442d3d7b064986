import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, type Batch, type ModelView, type StepReport } from '@advtrain/core';
import {
  checkBatch, cleanAccuracy, fgsmOptions, pgdAttack, resolveAttack, robustAccuracy, type AttackOptions, type EvalData,
} from '@advtrain/eval';
import { PKG } from './dataset.js';
import type { Callback, FitResult, StepInfo } from './fit.js';

/** One check of the monitor. Accuracies are fractions; `heldOut` is null without held-out data. */
export interface MonitorCheck {
  readonly step: number;
  /** Cumulative training time at the check, seconds. */
  readonly trainSeconds: number;
  /** On the fixed training minibatch. */
  readonly clean: number;
  readonly fgsm: number;
  readonly pgd: number;
  /** Robust accuracy on the held-out data (the attack of `heldOutAttack`). */
  readonly heldOut: number | null;
  /** Clean accuracy on the held-out data. */
  readonly heldOutClean: number | null;
}

/** Why the monitor raised its hand. */
export interface MonitorWarning {
  readonly step: number;
  readonly kind: 'fgsm-not-pgd' | 'pgd-collapse' | 'robust-above-clean';
  readonly message: string;
}

/** Options of the robustness monitor callback. */
export interface RobustnessMonitorOptions {
  /** Radius of the FGSM and PGD checks (the training radius). */
  readonly epsilon: number;
  /** Check every this many steps, and at the end of training. Default 100. */
  readonly everySteps?: number;
  /** PGD of the minibatch check. Default PGD-10, step 2.5·ε/10, one random start. */
  readonly attack?: Omit<AttackOptions, 'epsilon'>;
  /** Held-out data (never trained on) whose robust accuracy picks the best weights. Default none. */
  readonly heldOut?: EvalData | null;
  /** Attack on the held-out data. Default: the minibatch check's PGD. */
  readonly heldOutAttack?: Omit<AttackOptions, 'epsilon'>;
  /** Flag when FGSM accuracy is at least `fgsmRobust` and exceeds PGD accuracy by more than this on the minibatch. Default 0.3. */
  readonly fgsmGap?: number;
  /** FGSM accuracy from which the model counts as robust to FGSM. Default 0.9. */
  readonly fgsmRobust?: number;
  /** Flag when minibatch PGD accuracy falls this far below its best so far. Default 0.2 (Wong et al.). */
  readonly collapse?: number;
  /** Flag when PGD accuracy exceeds clean accuracy by more than this. Default 0.05. */
  readonly aboveClean?: number;
  /**
   * Warnings that stop training. Default `['pgd-collapse']`: a collapse does
   * not recover (Wong et al. stop there); the other two are reported and the
   * run goes on, since a model still learning can show them for a while.
   */
  readonly stopOn?: ReadonlyArray<MonitorWarning['kind']>;
  /** At the end of training, restore the weights of the best held-out robust accuracy. Default true (needs `heldOut`). */
  readonly restoreBest?: boolean;
  /** Called with every warning (default: none; warnings are also in `monitor.warnings`). */
  readonly onWarning?: (warning: MonitorWarning) => void;
  /** Called with every check, e.g. to log it (default: none; checks are also in `monitor.checks`). */
  readonly onCheck?: (check: MonitorCheck) => void;
}

const DEFAULTS = {
  epsilon: undefined as unknown as number, everySteps: 100, attack: {} as Omit<AttackOptions, 'epsilon'>, heldOut: null as EvalData | null,
  heldOutAttack: null as Omit<AttackOptions, 'epsilon'> | null, fgsmGap: 0.3, fgsmRobust: 0.9, collapse: 0.2, aboveClean: 0.05,
  stopOn: ['pgd-collapse'] as ReadonlyArray<MonitorWarning['kind']>,
  restoreBest: true, onWarning: null as ((warning: MonitorWarning) => void) | null,
  onCheck: null as ((check: MonitorCheck) => void) | null,
};

const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;

/** The thresholds {@link judgeCheck} applies. */
export interface MonitorThresholds {
  readonly epsilon: number;
  readonly fgsmGap: number;
  readonly fgsmRobust: number;
  readonly collapse: number;
  readonly aboveClean: number;
}

/**
 * The warnings one monitor check raises, given the best minibatch PGD
 * accuracy of the checks before it (−Infinity for none).
 */
export function judgeCheck(c: MonitorCheck, previousBest: number, t: MonitorThresholds): MonitorWarning[] {
  const out: MonitorWarning[] = [];
  const at = `step ${c.step}`;
  const eps = `ε = ${t.epsilon}`;
  // Early in training FGSM accuracy runs ahead of PGD accuracy; the failure is a model FGSM cannot break.
  if (c.fgsm >= t.fgsmRobust && c.fgsm - c.pgd > t.fgsmGap) {
    out.push({ step: c.step, kind: 'fgsm-not-pgd', message: `${PKG}: at ${at} the model is robust to FGSM (${pct(c.fgsm)}) but not to PGD `
      + `(${pct(c.pgd)}) at ${eps} on the monitor batch: likely catastrophic overfitting of a single-step method, or gradient masking.` });
  }
  if (previousBest - c.pgd > t.collapse) {
    out.push({ step: c.step, kind: 'pgd-collapse', message: `${PKG}: at ${at} PGD accuracy on the monitor batch fell from its best `
      + `${pct(previousBest)} to ${pct(c.pgd)} at ${eps}: likely catastrophic overfitting.` });
  }
  if (c.pgd - c.clean > t.aboveClean) {
    out.push({ step: c.step, kind: 'robust-above-clean', message: `${PKG}: at ${at} PGD accuracy (${pct(c.pgd)}) is above clean accuracy `
      + `(${pct(c.clean)}) on the monitor batch: the attack is not finding the loss maximum, likely gradient masking.` });
  }
  return out;
}

/**
 * Watches adversarial training for the two ways it fails silently, and keeps
 * the best weights (Wong, Rice & Kolter 2020; Rice, Wong & Kolter 2020).
 * Every `everySteps` steps it attacks one fixed training minibatch with FGSM
 * and PGD and, with `heldOut` data, measures PGD accuracy there. It warns when
 * - the model is robust to FGSM but not to PGD (catastrophic overfitting of a
 *   single-step method, or gradient masking),
 * - PGD accuracy collapses below its best (catastrophic overfitting),
 * - PGD accuracy is above clean accuracy (the attack fails: gradient masking),
 * stops training at a collapse (`stopOn`), and at the end restores the
 * weights with the best held-out robust accuracy (`restoreBest`).
 *
 * ```ts
 * const monitor = new RobustnessMonitor(view, trainBatch, { epsilon: 0.3, heldOut: validation });
 * await fit(trainer, data, { epochs: 10, batchSize: 100, callbacks: [monitor] });
 * ```
 */
export class RobustnessMonitor implements Callback {
  readonly checks: MonitorCheck[] = [];
  readonly warnings: MonitorWarning[] = [];
  private readonly view: ModelView;
  private readonly batch: Batch;
  private readonly o: typeof DEFAULTS;
  private best: { step: number; heldOut: number; weights: tf.Tensor[] } | null = null;
  private lastStep = -1;
  private seen: { step: number; trainSeconds: number } | null = null;
  /** Whether the weights of the best check were put back at the end of training. */
  restoredStep: number | null = null;

  constructor(view: ModelView, batch: Batch, options: RobustnessMonitorOptions) {
    const c = checkOptions(PKG, options, DEFAULTS).positive('epsilon').integer('everySteps', { min: 1 }).boolean('restoreBest');
    const kinds = ['fgsm-not-pgd', 'pgd-collapse', 'robust-above-clean'];
    if (!Array.isArray(c.values.stopOn) || c.values.stopOn.some((k) => !kinds.includes(k))) {
      c.fail('stopOn', `a list of warning kinds from ${kinds.map((k) => `"${k}"`).join(', ')}`);
    }
    for (const key of ['fgsmGap', 'fgsmRobust', 'collapse', 'aboveClean'] as const) {
      const v = c.values[key];
      if (!(typeof v === 'number' && v > 0 && v < 1)) c.fail(key, 'a number in (0, 1)');
    }
    if (c.values.onWarning !== null && typeof c.values.onWarning !== 'function') c.fail('onWarning', 'a function (warning) => void');
    if (c.values.onCheck !== null && typeof c.values.onCheck !== 'function') c.fail('onCheck', 'a function (check) => void');
    this.o = c.done();
    resolveAttack(this.pgdOptions());
    resolveAttack(this.heldOutOptions());
    checkBatch(batch, 'the monitor batch');
    this.view = view;
    this.batch = batch;
  }

  private pgdOptions(): AttackOptions {
    return { steps: 10, restarts: 1, ...this.o.attack, epsilon: this.o.epsilon };
  }

  private heldOutOptions(): AttackOptions {
    return { ...this.pgdOptions(), ...(this.o.heldOutAttack ?? {}), epsilon: this.o.epsilon };
  }

  /** The best held-out robust accuracy so far and its step; null without held-out data. */
  get bestCheck(): MonitorCheck | null {
    if (!this.best) return null;
    return this.checks.find((c) => c.step === this.best?.step) ?? null;
  }

  /** Runs a check now (step index and training time as given) and returns it with any new warnings. */
  async check(step: number, trainSeconds: number): Promise<{ check: MonitorCheck; warnings: MonitorWarning[] }> {
    const [clean, fgsm, pgd] = [
      await this.minibatchAccuracy(null),
      await this.minibatchAccuracy(fgsmOptions(this.o.epsilon)),
      await this.minibatchAccuracy(this.pgdOptions()),
    ];
    let heldOut: number | null = null;
    let heldOutClean: number | null = null;
    if (this.o.heldOut) {
      heldOutClean = (await cleanAccuracy(this.view, this.o.heldOut)).accuracy;
      heldOut = (await robustAccuracy(this.view, this.o.heldOut, this.heldOutOptions())).accuracy;
    }
    const previousBest = Math.max(...this.checks.map((c) => c.pgd), -Infinity);
    const check: MonitorCheck = { step, trainSeconds, clean, fgsm, pgd, heldOut, heldOutClean };
    this.checks.push(check);
    this.lastStep = step;
    if (heldOut !== null && (this.best === null || heldOut > this.best.heldOut)) this.keepBest(step, heldOut);
    this.o.onCheck?.(check);
    const warnings = judgeCheck(check, previousBest, this.o);
    for (const w of warnings) {
      this.warnings.push(w);
      this.o.onWarning?.(w);
    }
    return { check, warnings };
  }

  private async minibatchAccuracy(attack: AttackOptions | null): Promise<number> {
    if (attack === null) return (await cleanAccuracy(this.view, this.batch, { batchSize: this.batch.x.shape[0] as number })).accuracy;
    const { delta, correct } = await pgdAttack(this.view, this.batch, attack);
    const values = Array.from(await correct.data());
    tf.dispose([delta, correct]);
    return values.reduce((s, v) => s + v, 0) / values.length;
  }

  private keepBest(step: number, heldOut: number): void {
    const weights = this.view.variables.map((v) => tf.keep(tf.clone(v)));
    if (this.best) tf.dispose(this.best.weights);
    this.best = { step, heldOut, weights };
  }

  /** Training-loop callback: checks every `everySteps` steps and stops at a warning listed in `stopOn`. */
  async onStep(report: StepReport, info: StepInfo): Promise<void> {
    this.seen = { step: report.step + 1, trainSeconds: info.trainMs / 1000 };
    if ((report.step + 1) % this.o.everySteps !== 0) return;
    const { warnings } = await this.check(report.step + 1, info.trainMs / 1000);
    const stopping = warnings.filter((w) => this.o.stopOn.includes(w.kind));
    if (stopping.length) info.stop(stopping.map((w) => w.message).join(' '));
  }

  /** A last check where training ended, then the best weights go back when they beat the last ones. */
  async onTrainEnd(_result: FitResult): Promise<void> {
    if (this.seen && this.seen.step !== this.lastStep) await this.check(this.seen.step, this.seen.trainSeconds);
    this.restoreBestWeights();
  }

  /** Puts back the weights of the best held-out check, if it is not the last one. Returns its step, or null. */
  restoreBestWeights(): number | null {
    if (!this.o.restoreBest || !this.best) return null;
    const last = this.checks[this.checks.length - 1];
    if (last && last.step === this.best.step) return null;
    const best = this.best;
    this.view.variables.forEach((v, i) => v.assign(best.weights[i] as tf.Tensor));
    this.restoredStep = best.step;
    return best.step;
  }

  /** Frees the kept weights. */
  dispose(): void {
    if (this.best) tf.dispose(this.best.weights);
    this.best = null;
  }
}
