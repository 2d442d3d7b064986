import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, clampToRange, l2Norm, linfNorm, mixSeed, type Batch, type ModelView } from '@advtrain/core';
import { apgdAttack } from './apgd.js';
import { inferenceLogits } from './attack.js';
import { createAttackProgress, progressStream, type ProgressStream } from './attack-progress.js';
import { PKG, correctMask, minibatches, type EvalData } from './data.js';
import { fabAttack } from './fab.js';
import { requireInputSite, takeRows, type SuiteAttackResult } from './rows.js';
import { squareAttack } from './square.js';

/** The attacks AutoAttack can run, in the order it runs them. */
/** The attacks `autoAttack` knows, by the names the reference code uses. */
export const AUTO_ATTACK_NAMES = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'fab-t', 'square'] as const;
/** One of {@link AUTO_ATTACK_NAMES}. */
/** One of {@link AUTO_ATTACK_NAMES}. */
export type AutoAttackName = (typeof AUTO_ATTACK_NAMES)[number];

/** The reference suite's compositions. */
export const AUTO_ATTACK_VERSIONS: Readonly<Record<'standard' | 'rand', readonly AutoAttackName[]>> = {
  standard: ['apgd-ce', 'apgd-t', 'fab-t', 'square'],
  rand: ['apgd-ce', 'apgd-dlr'],
};

/** Options of {@link autoAttack}. */
/** Options of {@link autoAttack}. */
export interface AutoAttackOptions {
  /** Radius of the threat model (> 0). */
  readonly epsilon: number;
  /** `'linf'` (default) or `'l2'`. */
  readonly norm?: 'linf' | 'l2';
  /** `'standard'` (default), `'rand'` (randomized models: APGD-CE and APGD-DLR with EOT) or a list of attack names. */
  readonly version?: 'standard' | 'rand' | readonly AutoAttackName[];
  /** Default 0. Every attack is seeded from it, per minibatch. */
  readonly seed?: number;
  /** Minibatch size when `data` is one whole-set batch. Default 256. */
  readonly batchSize?: number;
  /** A progress bar on stdout (default), `false` for none, or a stream to write it to. */
  readonly progress?: boolean | ProgressStream;
  /** Iterations of APGD and FAB. Default 100. */
  readonly steps?: number;
  /** Square's queries per example. Default 5000. */
  readonly queries?: number;
  /** Target classes of APGD-T and FAB-T. Default 9 (capped at classes − 1). */
  readonly targetClasses?: number;
  /** Random restarts of APGD-CE / APGD-DLR. Default 1. */
  readonly restarts?: number;
  /** Gradients averaged per APGD step. Default 20 for `'rand'`, else 1. */
  readonly eotIterations?: number;
}

/** What {@link autoAttack} returns: robust accuracy under the worst case of every attack, and which attack broke each example. */
/** What {@link autoAttack} returns. */
export interface AutoAttackResult {
  /** Robust accuracy: the fraction of examples that survive every attack. */
  readonly accuracy: number;
  /** Clean accuracy of the same examples. */
  readonly clean: number;
  /** Examples that survived every attack. */
  readonly correct: number;
  /** Examples evaluated. */
  readonly total: number;
  /** Per example (in data order): 1 if it survived every attack (the worst case over the suite). */
  readonly robust: Uint8Array;
  /** Per example: the attack that broke it, `'clean'` if misclassified without attack, null if robust. */
  readonly brokenBy: ReadonlyArray<AutoAttackName | 'clean' | null>;
  /** Robust accuracy after each attack, in order (each attack only sees what the earlier ones left). */
  readonly accuracyAfter: Readonly<Partial<Record<AutoAttackName, number>>>;
  /** Seconds spent in each attack. */
  readonly seconds: Readonly<Partial<Record<AutoAttackName, number>>>;
  /** The attacks run, in order. */
  readonly attacks: readonly AutoAttackName[];
  /** The radius attacked. */
  readonly epsilon: number;
  /** The threat model's norm. */
  readonly norm: 'linf' | 'l2';
}

const AUTO_DEFAULTS = {
  epsilon: undefined as unknown as number, norm: 'linf' as 'linf' | 'l2',
  version: 'standard' as 'standard' | 'rand' | readonly AutoAttackName[], seed: 0, batchSize: 256,
  progress: true as boolean | ProgressStream, steps: 100, queries: 5000, targetClasses: 9, restarts: 1, eotIterations: -1,
};

type Resolved = Readonly<typeof AUTO_DEFAULTS> & { attacks: readonly AutoAttackName[] };

/** Validates AutoAttack options (unknown keys are errors) and fills in the defaults. */
/** Validates {@link AutoAttackOptions} and fills the defaults of the chosen version. */
export function resolveAutoAttack(options: AutoAttackOptions): Resolved {
  const c = checkOptions(PKG, options, AUTO_DEFAULTS).positive('epsilon').oneOf('norm', ['linf', 'l2'])
    .integerSeed('seed').integer('batchSize', { min: 1 }).integer('steps', { min: 1 }).integer('queries', { min: 1 })
    .integer('targetClasses', { min: 1 }).integer('restarts', { min: 1 });
  if (c.isSet('eotIterations')) c.integer('eotIterations', { min: 1 });
  const p = c.values.progress;
  if (typeof p !== 'boolean' && (typeof p !== 'object' || p === null || typeof p.write !== 'function')) {
    c.fail('progress', 'true, false or a stream with a write(text) method');
  }
  const v = c.values.version;
  const list = typeof v === 'string' ? AUTO_ATTACK_VERSIONS[v as 'standard' | 'rand'] : v;
  const known = (name: unknown) => (AUTO_ATTACK_NAMES as readonly unknown[]).includes(name);
  if (!Array.isArray(list) || list.length === 0 || !list.every(known) || new Set(list).size !== list.length) {
    c.fail('version', `'standard', 'rand' or a non-empty list of distinct attack names from ${AUTO_ATTACK_NAMES.map((n) => `'${n}'`).join(', ')}`);
  }
  const done = c.done();
  const eot = c.isSet('eotIterations') ? done.eotIterations : v === 'rand' ? 20 : 1;
  return { ...done, eotIterations: eot, attacks: list as readonly AutoAttackName[] };
}

function runOne(name: AutoAttackName, view: ModelView, batch: Batch, a: Resolved, seed: number): Promise<SuiteAttackResult> {
  const base = { epsilon: a.epsilon, norm: a.norm, seed };
  if (name === 'apgd-ce' || name === 'apgd-dlr') {
    return apgdAttack(view, batch, { ...base, loss: name === 'apgd-ce' ? 'ce' : 'dlr', steps: a.steps, restarts: a.restarts,
      eotIterations: a.eotIterations });
  }
  if (name === 'apgd-t') {
    return apgdAttack(view, batch, { ...base, loss: 'dlr-targeted', steps: a.steps, targetClasses: a.targetClasses,
      eotIterations: a.eotIterations });
  }
  if (name === 'fab-t') return fabAttack(view, batch, { ...base, steps: a.steps, targetClasses: a.targetClasses });
  return squareAttack(view, batch, { ...base, queries: a.queries });
}

/** The DLR losses need 3 (untargeted) or 4 (targeted) classes; checked before any attack runs. */
function checkClasses(classes: number, a: Resolved, options: AutoAttackOptions): void {
  const needs = a.attacks.includes('apgd-t') ? 4 : a.attacks.includes('apgd-dlr') ? 3 : 2;
  if (classes >= needs) return;
  checkOptions(PKG, options, AUTO_DEFAULTS).fail('version', `a list without ${needs === 4 ? "'apgd-t'" : "'apgd-dlr'"} for a model with ${classes} classes`,
    `The ${needs === 4 ? 'targeted ' : ''}DLR loss needs at least ${needs} classes; for example version: ['apgd-ce', 'fab-t', 'square'].`);
}

/** Breaks an attack claims are checked again: misclassified at clamp(x + δ) and ‖δ‖ ≤ ε. */
async function confirmBroken(view: ModelView, batch: Batch, delta: tf.Tensor, a: Resolved): Promise<Uint8Array> {
  const [ok, size] = tf.tidy(() => {
    const d = view.validRange ? clampToRange(tf.cast(batch.x, 'float32'), delta, view.validRange) : delta;
    const n = tf.reshape(a.norm === 'linf' ? linfNorm(d) : l2Norm(d), [-1]);
    return [correctMask(inferenceLogits(view, batch, d), batch.y), n];
  });
  const [okv, sizev] = await Promise.all([ok.data(), size.data()]);
  tf.dispose([ok, size]);
  return Uint8Array.from(okv, (v, i) => (v === 0 && sizev[i]! <= a.epsilon * (1 + 1e-5) + 1e-7 ? 1 : 0));
}

/**
 * AutoAttack (Croce & Hein, ICML 2020): an ensemble of parameter-free attacks
 * run in sequence, each only on the examples every earlier one failed to break.
 * The robust accuracy is the per-example worst case over the suite. The
 * `'standard'` version is APGD-CE, APGD-T (9 targets), FAB-T (9 targets) and
 * Square (5000 queries) with 100 iterations each and one restart. Runs in
 * inference mode; weights and batch-norm statistics are left unchanged.
 */
export async function autoAttack(view: ModelView, data: EvalData, options: AutoAttackOptions): Promise<AutoAttackResult> {
  const a = resolveAutoAttack(options);
  requireInputSite(view, 'AutoAttack');
  const total = 'x' in (data as Batch) && (data as Batch).x?.shape ? ((data as Batch).x.shape[0] as number) : null;
  const progress = createAttackProgress(progressStream(a.progress));
  const robust: number[] = [];
  const brokenBy: Array<AutoAttackName | 'clean' | null> = [];
  const survivors = new Map<AutoAttackName, number>(a.attacks.map((n) => [n, 0]));
  const seconds = new Map<AutoAttackName, number>(a.attacks.map((n) => [n, 0]));
  let clean = 0;
  let batchNo = 0;
  for await (const batch of minibatches(data, a.batchSize)) {
    const okT = tf.tidy(() => {
      const logits = inferenceLogits(view, batch);
      if (batchNo === 0) checkClasses(logits.shape[logits.rank - 1] as number, a, options);
      return correctMask(logits, batch.y);
    });
    const flags = Uint8Array.from(await okT.data());
    okT.dispose();
    const by: Array<AutoAttackName | 'clean' | null> = Array.from(flags, (v) => (v ? null : 'clean'));
    clean += flags.reduce((p, v) => p + v, 0);
    for (const [j, name] of a.attacks.entries()) {
      const idx = Array.from(flags.keys()).filter((i) => flags[i]);
      if (idx.length > 0) {
        const started = Date.now();
        const part = takeRows(batch, idx);
        const res = await runOne(name, view, part, a, mixSeed(mixSeed(a.seed, batchNo), j));
        const broken = await confirmBroken(view, part, res.delta, a);
        idx.forEach((i, k) => { if (broken[k]) { flags[i] = 0; by[i] = name; } });
        tf.dispose([res.delta, part.x, part.y, ...(part.mask ? [part.mask] : [])]);
        seconds.set(name, seconds.get(name)! + (Date.now() - started) / 1000);
      }
      survivors.set(name, survivors.get(name)! + flags.reduce((p, v) => p + v, 0));
      const seen = robust.length + flags.length;
      progress.update(seen, total, name, (robust.reduce((p, v) => p + v, 0) + flags.reduce((p, v) => p + v, 0)) / seen);
    }
    robust.push(...flags);
    brokenBy.push(...by);
    batchNo++;
  }
  const n = robust.length;
  const correct = robust.reduce((p, v) => p + v, 0);
  const accuracyAfter = Object.fromEntries(a.attacks.map((k) => [k, survivors.get(k)! / n]));
  progress.finish(`clean ${(100 * clean / n).toFixed(1)} %, ${a.attacks.map((k) => `${k} ${(100 * accuracyAfter[k]!).toFixed(1)} % (${seconds.get(k)!.toFixed(1)} s)`).join(', ')}`);
  return {
    accuracy: n ? correct / n : NaN, clean: n ? clean / n : NaN, correct, total: n, robust: Uint8Array.from(robust), brokenBy,
    accuracyAfter, seconds: Object.fromEntries(seconds), attacks: a.attacks, epsilon: a.epsilon, norm: a.norm,
  };
}
