import * as tf from '@tensorflow/tfjs-core';
import type { ModelView } from '@advtrain/core';
import { fgsmOptions, inferenceLogits, pgdAttack, resolveAttack, type AttackOptions } from './attack.js';
import { correctMask, minibatches, type EvalData } from './data.js';
import { createAttackProgress, progressStream, type ProgressStream } from './attack-progress.js';
import { gradientMaskingWarnings, type MaskingWarning } from './warnings.js';

/** Options shared by the accuracy functions. */
export interface EvalOptions {
  /** Minibatch size when `data` is one whole-set batch. Default 256. */
  readonly batchSize?: number;
  /** A progress bar: `true` for stdout, a stream, or `false` (default) for none. */
  readonly progress?: boolean | ProgressStream;
}

/** An accuracy and the counts behind it. */
export interface AccuracyResult {
  readonly accuracy: number;
  readonly correct: number;
  readonly total: number;
}

async function tally(data: EvalData, options: EvalOptions, label: string,
  correctOf: (batch: Parameters<ModelView['forward']>[0]) => Promise<tf.Tensor>): Promise<AccuracyResult> {
  let correct = 0;
  let total = 0;
  const size = (data as { x?: tf.Tensor }).x?.shape?.[0] ?? null;
  const progress = createAttackProgress(progressStream(options.progress ?? false), label);
  for await (const batch of minibatches(data, options.batchSize ?? 256)) {
    const c = await correctOf(batch);
    const values = await c.data();
    c.dispose();
    for (const v of values) correct += v;
    total += values.length;
    progress.update(total, size, label, correct / total);
  }
  const accuracy = total ? correct / total : NaN;
  progress.finish(`${correct}/${total} = ${(100 * accuracy).toFixed(2)} %`);
  return { accuracy, correct, total };
}

/** Accuracy on unperturbed inputs, in inference mode. */
export async function cleanAccuracy(view: ModelView, data: EvalData, options: EvalOptions = {}): Promise<AccuracyResult> {
  return tally(data, options, 'clean', async (batch) => tf.tidy(() => {
    const logits = inferenceLogits(view, batch);
    return correctMask(logits, batch.y);
  }));
}

/** Accuracy under an attack, with the attack's description and cost. */
export interface RobustResult extends AccuracyResult {
  readonly attack: string;
  readonly epsilon: number;
}

/** `pgd-20 linf ε=0.3 ×1` — the attack as logged and reported. */
export function describeAttack(options: AttackOptions): string {
  const a = resolveAttack(options);
  const name = a.steps === 1 && !a.randomStart && a.stepSize === a.epsilon ? 'fgsm' : `pgd-${a.steps}`;
  return `${name} ${a.norm} ε=${a.epsilon}${a.restarts > 1 ? ` restarts=${a.restarts}` : ''}${a.earlyStop ? ' early-stop' : ''}`;
}

/** Accuracy under PGD (or FGSM, via {@link fgsmOptions}); per-example worst case over restarts. */
export async function robustAccuracy(view: ModelView, data: EvalData,
  attack: AttackOptions, options: EvalOptions = {}): Promise<RobustResult> {
  resolveAttack(attack);
  const result = await tally(data, options, describeAttack(attack), async (batch) => {
    const { delta, correct } = await pgdAttack(view, batch, attack);
    delta.dispose();
    return correct;
  });
  return { ...result, attack: describeAttack(attack), epsilon: attack.epsilon };
}

/** Accuracy under FGSM at ε. */
export async function fgsmAccuracy(view: ModelView, data: EvalData, epsilon: number,
  options: EvalOptions & { norm?: 'linf' | 'l2' } = {}): Promise<RobustResult> {
  return robustAccuracy(view, data, fgsmOptions(epsilon, options.norm), options);
}

/** One point of an accuracy-against-ε curve. */
export interface CurvePoint {
  readonly epsilon: number;
  readonly accuracy: number;
}

/** Robust accuracy against ε (the attack's other options fixed). Includes a warning list. */
export async function accuracyCurve(view: ModelView, data: EvalData, epsilons: readonly number[],
  attack: Omit<AttackOptions, 'epsilon'> = {}, options: EvalOptions = {}): Promise<{ points: CurvePoint[]; warnings: MaskingWarning[] }> {
  const points: CurvePoint[] = [];
  for (const epsilon of [...epsilons].sort((a, b) => a - b)) {
    const r = await robustAccuracy(view, data, { ...attack, epsilon }, options);
    points.push({ epsilon, accuracy: r.accuracy });
  }
  return { points, warnings: gradientMaskingWarnings({ epsilonCurve: points }) };
}

/** Options of {@link robustnessReport}. */
export interface RobustnessReportOptions extends EvalOptions {
  /** Radii to test. */
  readonly epsilons: readonly number[];
  /** PGD settings (steps, restarts, norm, …). */
  readonly attack?: Omit<AttackOptions, 'epsilon'>;
  /** Also run FGSM at each ε (compared with PGD). Default true. */
  readonly fgsm?: boolean;
  /** PGD step counts to sweep at the largest ε (monotonicity in attack strength). Default none. */
  readonly stepSweep?: readonly number[];
}

/** What {@link robustnessReport} returns: clean accuracy, PGD and FGSM curves against ε, an optional step sweep, and the gradient-masking warnings. */
export interface RobustnessReport {
  readonly clean: number;
  readonly pgd: CurvePoint[];
  readonly fgsm: CurvePoint[];
  readonly steps: Array<{ steps: number; accuracy: number }>;
  readonly warnings: MaskingWarning[];
}

/** Clean accuracy, PGD and FGSM against ε, an optional step sweep, and every gradient-masking warning. */
export async function robustnessReport(view: ModelView, data: EvalData, options: RobustnessReportOptions): Promise<RobustnessReport> {
  const clean = (await cleanAccuracy(view, data, options)).accuracy;
  const { points: pgd } = await accuracyCurve(view, data, options.epsilons, options.attack, options);
  const fgsm: CurvePoint[] = [];
  if (options.fgsm !== false) {
    for (const p of pgd) fgsm.push({ epsilon: p.epsilon, accuracy: (await fgsmAccuracy(view, data, p.epsilon, { ...options, norm: options.attack?.norm ?? 'linf' })).accuracy });
  }
  const steps: Array<{ steps: number; accuracy: number }> = [];
  const top = Math.max(...options.epsilons);
  for (const k of options.stepSweep ?? []) {
    const { stepSize: _ignored, ...rest } = options.attack ?? {};
    steps.push({ steps: k, accuracy: (await robustAccuracy(view, data, { ...rest, steps: k, epsilon: top }, options)).accuracy });
  }
  return { clean, pgd, fgsm, steps, warnings: gradientMaskingWarnings({ clean, epsilonCurve: pgd, fgsmCurve: fgsm, stepCurve: steps }) };
}
