import * as tf from '@tensorflow/tfjs-core';
import {
  PassCounter, checkOptions, createRng, mixSeed, probe, randomNormal, randomUniform, type Batch, type ModelView,
} from '@advtrain/core';
import { evalContext, inferenceLogits } from './attack.js';
import { PKG, correctMask } from './data.js';
import { normOf, projectOntoHyperplane } from './fab-projection.js';
import { boxOf, classRanking, labelsOf, requireInputSite, takeRows, type SuiteAttackResult } from './rows.js';

/** Options of targeted FAB (Croce & Hein, ICML 2020), a minimum-norm attack. */
export interface FabOptions {
  /** An example counts as broken when FAB finds an adversarial point within this radius. */
  readonly epsilon: number;
  /** `'linf'` (default) or `'l2'`. */
  readonly norm?: 'linf' | 'l2';
  /** Iterations per target class. Default 100. */
  readonly steps?: number;
  /** Target classes, ranked 2nd, 3rd, … by the clean logits. Default 9 (capped at classes − 1). */
  readonly targetClasses?: number;
  /** Runs per target; the first starts at x, later ones at a random point of radius ε/2. Default 1. */
  readonly restarts?: number;
  /** α_max, the most weight the step toward the original point gets. Default 0.1. */
  readonly alphaMax?: number;
  /** η, overshoot of the projection step. Default 1.05. */
  readonly overshoot?: number;
  /** β, how far back toward x after each success. Default 0.9. */
  readonly backtrack?: number;
  /** Seed of the random starts of restarts after the first. Default 0. */
  readonly seed?: number;
}

const FAB_DEFAULTS = {
  epsilon: undefined as unknown as number, norm: 'linf' as 'linf' | 'l2', steps: 100, targetClasses: 9, restarts: 1,
  alphaMax: 0.1, overshoot: 1.05, backtrack: 0.9, seed: 0,
};

/** Validates FAB options (unknown keys are errors) and fills in the defaults. */
/** Validates {@link FabOptions} and fills the defaults. */
export function resolveFab(options: FabOptions): Readonly<typeof FAB_DEFAULTS> {
  return checkOptions(PKG, options, FAB_DEFAULTS).positive('epsilon').oneOf('norm', ['linf', 'l2'])
    .integer('steps', { min: 1 }).integer('targetClasses', { min: 1 }).integer('restarts', { min: 1 })
    .number('alphaMax', { min: 0, max: 1 }).number('overshoot', { min: 1 }).number('backtrack', { minExclusive: 0, max: 1 })
    .integerSeed('seed').done();
}

type Fab = Readonly<typeof FAB_DEFAULTS>;

/** Logits and ∂(z_t − z_y)/∂x at the points `xs` (one pass), read back. */
async function linearise(view: ModelView, xs: Float32Array, shape: number[], y: tf.Tensor, diff: tf.Tensor) {
  const batch: Batch = { x: tf.tensor(xs, shape, 'float32'), y };
  const objective = (z: tf.Tensor): tf.Scalar => tf.sum(tf.mul(z, diff));
  const r = probe(evalContext(view, batch, new PassCounter()),
    { wrtDelta: true, training: false, objective, keepLogits: true, preserveStatistics: true });
  const margin = tf.tidy(() => tf.sum(tf.mul(r.logits as tf.Tensor, diff), -1));
  const [f, g] = await Promise.all([margin.data(), (r.deltaGrad as tf.Tensor).data()]);
  tf.dispose([batch.x, r.loss, r.logits as tf.Tensor, r.deltaGrad as tf.Tensor, margin]);
  return { f, g };
}

async function predictsLabel(view: ModelView, xs: Float32Array, shape: number[], y: tf.Tensor): Promise<Uint8Array> {
  const batch: Batch = { x: tf.tensor(xs, shape, 'float32'), y };
  const ok = tf.tidy(() => correctMask(inferenceLogits(view, batch), y));
  const values = Uint8Array.from(await ok.data());
  tf.dispose([batch.x, ok]);
  return values;
}

/**
 * One targeted FAB run on every example of `batch`. Each step linearises the
 * margin z_t − z_y, projects both the current point and the original one onto
 * its zero set (inside the box), and moves to a blend of the two projections
 * (weight α ≤ α_max on the one from the original point, overshooting by η);
 * after a success it steps back toward x by β, so the norm keeps shrinking.
 */
async function fabRun(view: ModelView, batch: Batch, target: Int32Array, labels: Int32Array, classes: number,
  a: Fab, seed: number | null): Promise<{ adv: Float32Array; norms: Float64Array }> {
  const shape = [...batch.x.shape];
  const [n, d] = [shape[0] as number, (batch.x.size / (shape[0] as number))];
  const x0 = Float32Array.from(await batch.x.data());
  const box = boxOf(view);
  const x1 = Float32Array.from(x0);
  if (seed !== null) {
    const [t] = a.norm === 'linf' ? randomUniform(createRng(seed), shape, -1, 1) : randomNormal(createRng(seed), shape);
    const noise = await t.data();
    t.dispose();
    for (let b = 0; b < n; b++) {
      const row = noise.subarray(b * d, (b + 1) * d);
      const scale = 0.5 * a.epsilon / (normOf(row, a.norm) + 1e-12);
      for (let i = 0; i < d; i++) x1[b * d + i] = clamp(x0[b * d + i]! + scale * row[i]!, box);
    }
  }
  const diff = tf.tidy(() => tf.cast(tf.sub(tf.oneHot(tf.tensor1d(target, 'int32'), classes), tf.oneHot(tf.tensor1d(labels, 'int32'), classes)), 'float32'));
  const adv = Float32Array.from(x0);
  const norms = new Float64Array(n).fill(Infinity);
  const d1 = new Float64Array(d);
  const d2 = new Float64Array(d);
  for (let k = 0; k < a.steps; k++) {
    const { f, g } = await linearise(view, x1, shape, batch.y, diff);
    for (let b = 0; b < n; b++) {
      const w = g.subarray(b * d, (b + 1) * d);
      const p = x1.subarray(b * d, (b + 1) * d);
      const o = x0.subarray(b * d, (b + 1) * d);
      // The margin's linearisation at x1 vanishes on ⟨w, z⟩ = ⟨w, x1⟩ − f.
      let offset = -(f[b] as number);
      for (let i = 0; i < d; i++) offset += w[i]! * p[i]!;
      projectOntoHyperplane(p, w, offset, box, a.norm, d1);
      projectOntoHyperplane(o, w, offset, box, a.norm, d2);
      const n1 = Math.max(normOf(d1, a.norm), 1e-8);
      const n2 = Math.max(normOf(d2, a.norm), 1e-8);
      const alpha = Math.min(Math.max(n1 / (n1 + n2), 0), a.alphaMax);
      for (let i = 0; i < d; i++) {
        p[i] = clamp((p[i]! + a.overshoot * d1[i]!) * (1 - alpha) + (o[i]! + a.overshoot * d2[i]!) * alpha, box);
      }
    }
    const ok = await predictsLabel(view, x1, shape, batch.y);
    for (let b = 0; b < n; b++) {
      if (ok[b]) continue;
      const p = x1.subarray(b * d, (b + 1) * d);
      const o = x0.subarray(b * d, (b + 1) * d);
      let size = 0;
      for (let i = 0; i < d; i++) size = a.norm === 'linf' ? Math.max(size, Math.abs(p[i]! - o[i]!)) : size + (p[i]! - o[i]!) ** 2;
      if (a.norm === 'l2') size = Math.sqrt(size);
      if (size < norms[b]!) {
        norms[b] = size;
        adv.set(p, b * d);
      }
      for (let i = 0; i < d; i++) p[i] = o[i]! + a.backtrack * (p[i]! - o[i]!);
    }
  }
  diff.dispose();
  return { adv, norms };
}

const clamp = (v: number, box: readonly [number, number]) => Math.min(Math.max(v, box[0]), box[1]);

/**
 * FAB-T: targeted Fast Adaptive Boundary attack. It looks for the smallest
 * perturbation that moves the example across the boundary to each target
 * class in turn; an example is broken when one is found within ε. Needs no
 * step size and starts from x itself, so it is deterministic with one restart.
 */
export async function fabAttack(view: ModelView, batch: Batch, options: FabOptions): Promise<SuiteAttackResult> {
  const a = resolveFab(options);
  requireInputSite(view, 'FAB');
  const clean = inferenceLogits(view, batch);
  const classes = clean.shape[clean.rank - 1] as number;
  const okT = correctMask(clean, batch.y);
  const correct = Uint8Array.from(await okT.data());
  const ranking = await classRanking(clean);
  tf.dispose([okT, clean]);
  const labels = await labelsOf(batch.y, classes);
  const shape = [...batch.x.shape];
  const d = batch.x.size / (shape[0] as number);
  const out = new Float32Array(batch.x.size);
  let run = 0;
  for (let target = 1; target <= Math.min(a.targetClasses, classes - 1); target++) {
    for (let r = 0; r < a.restarts; r++, run++) {
      const idx = Array.from(correct.keys()).filter((i) => correct[i]);
      if (idx.length === 0) break;
      const part = takeRows(batch, idx);
      const { adv, norms } = await fabRun(view, part, Int32Array.from(idx, (i) => ranking[i]![target]!),
        Int32Array.from(idx, (i) => labels[i]!), classes, a, r > 0 ? mixSeed(a.seed, run) : null);
      const xs = await part.x.data();
      idx.forEach((i, k) => {
        if (!(norms[k]! <= a.epsilon)) return;
        correct[i] = 0;
        for (let j = 0; j < d; j++) out[i * d + j] = adv[k * d + j]! - xs[k * d + j]!;
      });
      tf.dispose([part.x, part.y, ...(part.mask ? [part.mask] : [])]);
    }
  }
  return { delta: tf.tensor(out, shape, 'float32'), correct };
}
