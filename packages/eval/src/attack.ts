import * as tf from '@tensorflow/tfjs-core';
import {
  PassCounter, advanceWhereCorrect, ascentStep, checkOptions, createRng, createStepContext, exampleCrossEntropy, keepInRange, mixSeed,
  probe, randomBallStart, type Batch, type ExampleLossFn, type ModelView, type PassCount, type StepContext,
} from '@advtrain/core';
import { PKG, correctMask } from './data.js';

/** Options of the PGD / FGSM attack used for evaluation. */
export interface AttackOptions {
  /** Radius of the threat model. 0 means no attack (clean accuracy). */
  readonly epsilon: number;
  /** `'linf'` (sign steps, clip) or `'l2'` (per-example normalised steps, L2 projection). Default `'linf'`. */
  readonly norm?: 'linf' | 'l2';
  /** Iterations K. Default 20. */
  readonly steps?: number;
  /** Step size α. Default `2.5 · ε / steps` (MadryLab/robustness). */
  readonly stepSize?: number;
  /** Random restarts; an example counts as robust only if it survives all of them. Default 1. */
  readonly restarts?: number;
  /** Start from a uniform point in the ball (required for restarts to differ). Default true. */
  readonly randomStart?: boolean;
  /** Seed of the random starts. Default 0. */
  readonly seed?: number;
  /** Per-example loss the attack ascends. Default softmax cross-entropy. */
  readonly loss?: ExampleLossFn;
  /**
   * Per-example early stop: a step moves δ only for the examples still
   * classified correctly at the current δ, so an example keeps the first δ that
   * fools the model (locuslab/fast_adversarial `MNIST/evaluate_mnist.py`). A
   * restart is skipped once every example of the batch is broken. Default false.
   */
  readonly earlyStop?: boolean;
}

/** {@link AttackOptions} after validation, with every default filled in. */
export type ResolvedAttack = Required<AttackOptions>;

const ATTACK_DEFAULTS = {
  epsilon: undefined as unknown as number, norm: 'linf' as 'linf' | 'l2', steps: 20, stepSize: -1, restarts: 1,
  randomStart: true, seed: 0, loss: exampleCrossEntropy, earlyStop: false,
};

/** Validates attack options and fills defaults; messages name the option and the value received. */
export function resolveAttack(options: AttackOptions): ResolvedAttack {
  const c = checkOptions(PKG, options, ATTACK_DEFAULTS)
    .nonNegative('epsilon').oneOf('norm', ['linf', 'l2']).integer('steps', { min: 1 })
    .integer('restarts', { min: 1 }).boolean('randomStart').integerSeed('seed').boolean('earlyStop');
  if (c.isSet('stepSize')) c.positive('stepSize');
  if (typeof c.values.loss !== 'function') c.fail('loss', 'a function (logits, batch) => per-example loss');
  const v = c.done();
  return { ...v, stepSize: c.isSet('stepSize') ? v.stepSize : 2.5 * v.epsilon / v.steps };
}

/** FGSM as an attack: one signed (or normalised) step of size ε from δ = 0. */
export function fgsmOptions(epsilon: number, norm: 'linf' | 'l2' = 'linf'): AttackOptions {
  return { epsilon, norm, steps: 1, stepSize: epsilon, restarts: 1, randomStart: false };
}

/** A step context for evaluation passes (never steps an optimizer). */
export function evalContext(view: ModelView, batch: Batch, passes = new PassCounter()): StepContext {
  return createStepContext({ view, batch, passes, refusal: `${PKG}: evaluation never steps the optimizer.` });
}

/** Logits in inference mode, with batch-norm statistics restored afterwards. */
export function inferenceLogits(view: ModelView, batch: Batch, delta: tf.Tensor | null = null): tf.Tensor {
  return tf.tidy(() => view.preservingStatistics(() => view.forward(batch, delta, { training: false })));
}

/** What {@link pgdAttack} returns; the caller disposes the tensors. */
export interface AttackResult {
  /** Worst-case perturbation per example over the restarts. Caller disposes. */
  readonly delta: tf.Tensor;
  /** 1 where the example is still classified correctly under every restart, else 0. Caller disposes. */
  readonly correct: tf.Tensor;
  readonly passes: Readonly<PassCount>;
}

/**
 * The start of restart r: core's `randomBallStart` (the training PGD's), or δ = 0 kept in the
 * valid range; zero at padded tokens.
 */
function startPoint(ctx: StepContext, a: ResolvedAttack, restart: number, mask: tf.Tensor | null): tf.Tensor {
  const start = a.epsilon > 0 && a.randomStart
    ? randomBallStart(ctx, createRng(mixSeed(a.seed, restart)), a.norm, a.epsilon)[0]
    : tf.tidy(() => keepInRange(ctx, tf.fill(ctx.view.siteShape(ctx.batch), 0)));
  return masked(start, mask);
}

/** δ with padded tokens zeroed (δ itself when there is no mask); frees δ when it makes a new tensor. */
function masked(delta: tf.Tensor, mask: tf.Tensor | null): tf.Tensor {
  return mask ? replace(delta, tf.mul(delta, mask)) : delta;
}

/**
 * PGD-k with random restarts, in inference mode (dropout off, batch-norm
 * moving statistics used and restored). Works at input sites (pixels, clamped
 * to the view's valid range) and at embedding sites (δ on the embedding
 * output, zero at padding, per-example norm over tokens × hidden). Weights and
 * statistics are never changed. The per-example worst case over restarts is
 * kept: a misclassifying restart wins, else the one with the highest loss.
 */
export async function pgdAttack(view: ModelView, batch: Batch, options: AttackOptions): Promise<AttackResult> {
  const a = resolveAttack(options);
  const passes = new PassCounter();
  const ctx = evalContext(view, batch, passes);
  const rawMask = view.siteMask(batch);
  const mask = rawMask ? tf.tidy(() => tf.expandDims(rawMask, -1)) : null;
  rawMask?.dispose();
  const objective = (logits: tf.Tensor, b: Batch): tf.Scalar => tf.sum(a.loss(logits, b));
  const step = { norm: a.norm, stepSize: a.stepSize, epsilon: a.epsilon };
  let best: tf.Tensor | null = null;
  let bestWrong: tf.Tensor | null = null;
  let bestLoss: tf.Tensor | null = null;
  for (let r = 0; r < a.restarts; r++) {
    if (a.earlyStop && bestWrong && (await allBroken(bestWrong))) break;
    let delta = startPoint(ctx, a, r, mask);
    for (let k = 0; a.epsilon > 0 && k < a.steps; k++) {
      const { loss, deltaGrad, logits } = probe(ctx, {
        delta, wrtDelta: true, training: false, objective, preserveStatistics: true, keepLogits: a.earlyStop });
      const g = deltaGrad as tf.Tensor;
      // The training PGD's step (core's ascentStep): ascend, project onto the ball, keep x + δ in range.
      let next = masked(ascentStep(ctx, delta, g, step), mask);
      tf.dispose([loss, g]);
      if (logits) {
        const moved = next;
        next = advanceWhereCorrect(logits, batch.y, delta, moved);
        tf.dispose([moved, logits]);
      }
      delta = replace(delta, next);
    }
    passes.record('forward');
    const logits = inferenceLogits(view, batch, delta);
    const wrong = tf.tidy(() => tf.sub(1, correctMask(logits, batch.y)));
    const loss = tf.tidy(() => a.loss(logits, batch));
    logits.dispose();
    if (!best || !bestWrong || !bestLoss) {
      [best, bestWrong, bestLoss] = [delta, wrong, loss];
      continue;
    }
    const merged = worstCase({ delta: best, wrong: bestWrong, loss: bestLoss }, { delta, wrong, loss });
    tf.dispose([best, bestWrong, bestLoss, delta, wrong, loss]);
    ({ delta: best, wrong: bestWrong, loss: bestLoss } = merged);
  }
  mask?.dispose();
  const correct = tf.tidy(() => tf.sub(1, bestWrong as tf.Tensor));
  tf.dispose([bestWrong as tf.Tensor, bestLoss as tf.Tensor]);
  return { delta: best as tf.Tensor, correct, passes: passes.snapshot() };
}

interface Candidate { delta: tf.Tensor; wrong: tf.Tensor; loss: tf.Tensor }

/** True when every example is already misclassified (one asynchronous read). */
async function allBroken(wrong: tf.Tensor): Promise<boolean> {
  const min = tf.min(wrong);
  const value = (await min.data())[0] as number;
  min.dispose();
  return value === 1;
}

/** Per example: the candidate that misclassifies, else the one with the higher loss. */
function worstCase(a: Candidate, b: Candidate): Candidate {
  return tf.tidy(() => {
    const take = tf.cast(tf.logicalOr(tf.greater(b.wrong, a.wrong),
      tf.logicalAnd(tf.equal(b.wrong, a.wrong), tf.greater(b.loss, a.loss))), 'float32');
    const blend = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
      const m = tf.reshape(take, [take.shape[0] as number, ...Array<number>(x.rank - 1).fill(1)]);
      return tf.add(tf.mul(y, m), tf.mul(x, tf.sub(1, m)));
    };
    return { delta: blend(a.delta, b.delta), wrong: tf.maximum(a.wrong, b.wrong), loss: blend(a.loss, b.loss) };
  });
}

function replace(old: tf.Tensor, next: tf.Tensor): tf.Tensor {
  if (old !== next) old.dispose();
  return next;
}
