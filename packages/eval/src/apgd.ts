import * as tf from '@tensorflow/tfjs-core';
import {
  PassCounter, checkOptions, clampToRange, createRng, exampleCrossEntropy, l2Norm, linfNorm, mixSeed, normalizeL2, probe,
  projectToBall, randomNormal, randomUniform, type Batch, type ExampleLossFn, type ModelView,
} from '@advtrain/core';
import { evalContext, inferenceLogits } from './attack.js';
import { PKG, correctMask } from './data.js';
import { dlrLoss, targetedDlrLoss } from './dlr-loss.js';
import { classRanking, requireInputSite, selectRows, takeRows, type SuiteAttackResult } from './rows.js';

/** Options of Auto-PGD (Croce & Hein 2020). */
export interface ApgdOptions {
  /** Radius of the threat model (> 0). */
  readonly epsilon: number;
  /** `'linf'` (default) or `'l2'`. */
  readonly norm?: 'linf' | 'l2';
  /** `'ce'` (APGD-CE, default), `'dlr'` (APGD-DLR) or `'dlr-targeted'` (APGD-T). */
  readonly loss?: 'ce' | 'dlr' | 'dlr-targeted';
  /** Iterations N_iter. Default 100. */
  readonly steps?: number;
  /** Random restarts (per target class for APGD-T); later ones run on the unbroken examples only. Default 1. */
  readonly restarts?: number;
  /** APGD-T: how many of the highest-ranked other classes to target. Default 9 (capped at classes − 1). */
  readonly targetClasses?: number;
  /** Gradients averaged per step (expectation over transformation, for randomized models). Default 1. */
  readonly eotIterations?: number;
  /** ρ of the oscillation check. Default 0.75. */
  readonly rho?: number;
  /** Seed of the random starts. Default 0. */
  readonly seed?: number;
}

const APGD_DEFAULTS = {
  epsilon: undefined as unknown as number, norm: 'linf' as 'linf' | 'l2', loss: 'ce' as 'ce' | 'dlr' | 'dlr-targeted',
  steps: 100, restarts: 1, targetClasses: 9, eotIterations: 1, rho: 0.75, seed: 0,
};

/** {@link ApgdOptions} with every default filled. */
export type ResolvedApgd = Readonly<typeof APGD_DEFAULTS>;

/** Validates APGD options (unknown keys are errors) and fills in the defaults. */
/** Validates {@link ApgdOptions} and fills the defaults. */
export function resolveApgd(options: ApgdOptions): ResolvedApgd {
  return checkOptions(PKG, options, APGD_DEFAULTS).positive('epsilon').oneOf('norm', ['linf', 'l2'])
    .oneOf('loss', ['ce', 'dlr', 'dlr-targeted']).integer('steps', { min: 1 }).integer('restarts', { min: 1 })
    .integer('targetClasses', { min: 1 }).integer('eotIterations', { min: 1 }).number('rho', { min: 0, max: 1 })
    .integerSeed('seed').done();
}

/**
 * The checkpoints of the step-size schedule: p_0 = 0, p_1 = 0.22 and
 * p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06), as iteration gaps.
 */
function checkpointGaps(steps: number): { first: number; shrink: number; min: number } {
  return { first: Math.max(Math.floor(0.22 * steps), 1), shrink: Math.max(Math.floor(0.03 * steps), 1),
    min: Math.max(Math.floor(0.06 * steps), 1) };
}

const perExample = (values: ArrayLike<number>, shape: number[]) =>
  tf.tensor(Float32Array.from(values), [shape[0] as number, ...Array<number>(shape.length - 1).fill(1)]);

interface RunResult { delta: tf.Tensor; correct: Uint8Array }

/** One APGD run on every example of `batch`; returns a misclassifying δ where found, else the highest-loss one. */
async function apgdRun(view: ModelView, batch: Batch, a: ResolvedApgd, loss: ExampleLossFn, seed: number): Promise<RunResult> {
  const ctx = evalContext(view, batch, new PassCounter());
  const shape = view.siteShape(batch);
  const n = shape[0] as number;
  const x = tf.cast(batch.x, 'float32');
  const constrain = (d: tf.Tensor): tf.Tensor => tf.tidy(() => {
    const p = projectToBall(d, a.norm, a.epsilon);
    return view.validRange ? clampToRange(x, p, view.validRange) : p;
  });
  const [t] = a.norm === 'linf' ? randomUniform(createRng(seed), shape, -1, 1) : randomNormal(createRng(seed), shape);
  // Start on the sphere: ε·t/‖t‖ (for L∞ the largest coordinate reaches ε).
  const start = tf.tidy(() => tf.mul(a.epsilon, tf.div(t, tf.add(a.norm === 'linf' ? linfNorm(t) : l2Norm(t), 1e-12))));
  t.dispose();
  let delta = constrain(start);
  start.dispose();

  const objective = (z: tf.Tensor, b: Batch): tf.Scalar => tf.sum(loss(z, b));
  const evaluate = async (d: tf.Tensor) => {
    let grad: tf.Tensor | null = null;
    let logits: tf.Tensor | null = null;
    for (let e = 0; e < a.eotIterations; e++) {
      const r = probe(ctx, { delta: d, wrtDelta: true, training: false, objective, keepLogits: true, preserveStatistics: true });
      r.loss.dispose();
      logits?.dispose();
      logits = r.logits as tf.Tensor;
      const g = r.deltaGrad as tf.Tensor;
      if (grad) {
        const sum: tf.Tensor = tf.add(grad, g);
        tf.dispose([grad, g]);
        grad = sum;
      } else {
        grad = g;
      }
    }
    const avg = a.eotIterations === 1 ? grad as tf.Tensor : tf.tidy(() => tf.div(grad as tf.Tensor, a.eotIterations));
    if (avg !== grad) (grad as tf.Tensor).dispose();
    const [lossT, okT] = tf.tidy(() => [loss(logits as tf.Tensor, batch), correctMask(logits as tf.Tensor, batch.y)]);
    (logits as tf.Tensor).dispose();
    const [values, ok] = await Promise.all([(lossT as tf.Tensor).data(), (okT as tf.Tensor).data()]);
    tf.dispose([lossT as tf.Tensor, okT as tf.Tensor]);
    return { grad: avg, loss: Float32Array.from(values), ok: Uint8Array.from(ok) };
  };

  let { grad, loss: current, ok } = await evaluate(delta);
  const correct = Uint8Array.from(ok);
  const lossBest = Float32Array.from(current);
  let deltaOld = tf.clone(delta);
  let deltaBest = tf.clone(delta);
  let bestAdv = tf.clone(delta);
  let gradBest = tf.clone(grad);
  const stepSize = new Float64Array(n).fill(2 * a.epsilon);
  const history: Float32Array[] = [current];
  const gaps = checkpointGaps(a.steps);
  let gap = gaps.first;
  let sinceCheck = 0;
  let lossAtCheck = Float32Array.from(lossBest);
  let reducedAtCheck = new Uint8Array(n).fill(1);
  const swap = (old: tf.Tensor, next: tf.Tensor) => { if (old !== next) old.dispose(); return next; };

  for (let i = 0; i < a.steps; i++) {
    const momentum = i > 0 ? 0.75 : 1;
    const eta = perExample(stepSize, shape);
    const next = tf.tidy(() => {
      const dir = a.norm === 'linf' ? tf.sign(grad) : normalizeL2(grad, { guard: 1e-12, guardMode: 'add' });
      const z = constrain(tf.add(delta, tf.mul(eta, dir)));
      // Heavy-ball step: a blend of the projected gradient step and the previous move.
      return constrain(tf.add(tf.add(delta, tf.mul(momentum, tf.sub(z, delta))), tf.mul(1 - momentum, tf.sub(delta, deltaOld))));
    });
    eta.dispose();
    deltaOld.dispose();
    deltaOld = delta;
    delta = next;
    grad.dispose();
    ({ grad, loss: current, ok } = await evaluate(delta));
    history.push(current);
    const fooled = Array.from(ok, (v) => 1 - v);
    for (let b = 0; b < n; b++) if (!ok[b]) correct[b] = 0;
    if (fooled.some((v) => v)) bestAdv = swap(bestAdv, selectRows(fooled, delta, bestAdv));
    const improved = Array.from(current, (v, b) => (v > (lossBest[b] as number) ? 1 : 0));
    if (improved.some((v) => v)) {
      deltaBest = swap(deltaBest, selectRows(improved, delta, deltaBest));
      gradBest = swap(gradBest, selectRows(improved, grad, gradBest));
      improved.forEach((v, b) => { if (v) lossBest[b] = current[b] as number; });
    }
    if (++sinceCheck < gap) continue;
    // Checkpoint: halve the step and restart from the best point where the loss
    // rose in at most ρ of the steps since the last checkpoint, or where the step
    // was not halved last time and the best loss has not improved since.
    const reduce = new Uint8Array(n);
    for (let b = 0; b < n; b++) {
      let rises = 0;
      for (let s = history.length - gap; s < history.length; s++) if ((history[s] as Float32Array)[b]! > (history[s - 1] as Float32Array)[b]!) rises++;
      const oscillating = rises <= gap * a.rho;
      const stalled = !reducedAtCheck[b] && lossAtCheck[b]! >= lossBest[b]!;
      reduce[b] = oscillating || stalled ? 1 : 0;
    }
    reducedAtCheck = reduce;
    lossAtCheck = Float32Array.from(lossBest);
    if (reduce.some((v) => v)) {
      reduce.forEach((v, b) => { if (v) stepSize[b] = stepSize[b]! / 2; });
      delta = swap(delta, selectRows(reduce, deltaBest, delta));
      grad = swap(grad, selectRows(reduce, gradBest, grad));
    }
    gap = Math.max(gap - gaps.shrink, gaps.min);
    sinceCheck = 0;
  }
  const out = selectRows(Array.from(correct, (v) => 1 - v), bestAdv, deltaBest);
  tf.dispose([x, delta, deltaOld, deltaBest, bestAdv, grad, gradBest]);
  return { delta: out, correct };
}

/**
 * Auto-PGD (Croce & Hein, ICML 2020): PGD whose step size starts at 2ε and is
 * halved at checkpoints when progress stalls, with momentum 0.75 and a restart
 * from the best point after each halving, so it needs no step-size tuning.
 * `loss: 'dlr-targeted'` is APGD-T: one run per target class, the classes
 * ranked 2nd, 3rd, … by the clean logits. Runs in inference mode; attacks only
 * correctly classified examples; later runs only the still-unbroken ones.
 */
export async function apgdAttack(view: ModelView, batch: Batch, options: ApgdOptions): Promise<SuiteAttackResult> {
  const a = resolveApgd(options);
  requireInputSite(view, 'APGD');
  const clean = inferenceLogits(view, batch);
  const classes = clean.shape[clean.rank - 1] as number;
  const needed = a.loss === 'dlr-targeted' ? 4 : a.loss === 'dlr' ? 3 : 2;
  if (classes < needed) {
    clean.dispose();
    checkOptions(PKG, options, APGD_DEFAULTS).fail('loss', `'ce' for a model with ${classes} classes`,
      `The ${a.loss} loss needs at least ${needed} classes.`);
  }
  const okT = correctMask(clean, batch.y);
  const correct = Uint8Array.from(await okT.data());
  okT.dispose();
  const ranking = a.loss === 'dlr-targeted' ? await classRanking(clean) : [];
  clean.dispose();
  const shape = view.siteShape(batch);
  const row = shape.slice(1).reduce((p, q) => p * q, 1);
  const out = new Float32Array(shape.reduce((p, q) => p * q, 1));
  const targets = a.loss === 'dlr-targeted' ? Math.min(a.targetClasses, classes - 1) : 1;
  let run = 0;
  for (let target = 1; target <= targets; target++) {
    for (let r = 0; r < a.restarts; r++, run++) {
      const idx = Array.from(correct.keys()).filter((i) => correct[i]);
      if (idx.length === 0) break;
      const part = takeRows(batch, idx);
      const target1 = a.loss === 'dlr-targeted' ? tf.tensor1d(idx.map((i) => ranking[i]![target]!), 'int32') : null;
      const loss = a.loss === 'ce' ? exampleCrossEntropy : a.loss === 'dlr' ? dlrLoss : targetedDlrLoss(target1 as tf.Tensor);
      const res = await apgdRun(view, part, a, loss, mixSeed(a.seed, run));
      const values = await res.delta.data();
      idx.forEach((i, k) => {
        // The first run's highest-loss point stands until a later run breaks the example.
        if (run === 0 || !res.correct[k]) out.set(values.subarray(k * row, (k + 1) * row), i * row);
        if (!res.correct[k]) correct[i] = 0;
      });
      tf.dispose([res.delta, part.x, part.y, ...(part.mask ? [part.mask] : []), ...(target1 ? [target1] : [])]);
    }
  }
  return { delta: tf.tensor(out, shape, 'float32'), correct };
}
