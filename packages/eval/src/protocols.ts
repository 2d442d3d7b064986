import type { ModelView } from '@advtrain/core';
import type { AttackOptions } from './attack.js';
import { cleanAccuracy, robustAccuracy, type EvalOptions, type RobustResult } from './accuracy.js';
import type { EvalData } from './data.js';

/** A published evaluation: the attack, and where its settings come from. */
export interface EvaluationProtocol {
  /** Short name, as printed in tables. */
  readonly name: string;
  /** The paper and reference code the settings follow. */
  readonly source: string;
  readonly attack: AttackOptions;
}

/**
 * "Fast is better than free" (Wong, Rice & Kolter 2020), MNIST: PGD-50 with
 * step 0.01 and 10 random restarts at ε = 0.3, a start clamped to [0, 1],
 * per-example early stop, worst case over restarts
 * (locuslab/fast_adversarial `MNIST/evaluate_mnist.py`).
 */
export const PGD_50_10_MNIST: EvaluationProtocol = Object.freeze({
  name: 'PGD-50 × 10',
  source: 'Wong, Rice & Kolter 2020; locuslab/fast_adversarial MNIST/evaluate_mnist.py',
  attack: Object.freeze({ epsilon: 0.3, norm: 'linf', steps: 50, stepSize: 0.01, restarts: 10, randomStart: true, earlyStop: true }),
});

/**
 * Madry et al. (2018), MNIST: PGD-40 with step 0.01 at ε = 0.3, one random
 * start (`MadryLab/mnist_challenge config.json`, the attack of `eval.py`).
 */
export const PGD_40_MADRY_MNIST: EvaluationProtocol = Object.freeze({
  name: 'PGD-40',
  source: 'Madry et al. 2018; MadryLab/mnist_challenge config.json',
  attack: Object.freeze({ epsilon: 0.3, norm: 'linf', steps: 40, stepSize: 0.01, restarts: 1, randomStart: true }),
});

/** The named protocols, for command lines. */
export const EVALUATION_PROTOCOLS: Readonly<Record<string, EvaluationProtocol>> = Object.freeze({
  'pgd-50x10-mnist': PGD_50_10_MNIST,
  'pgd-40-madry-mnist': PGD_40_MADRY_MNIST,
});

/** Robust accuracy under a named evaluation protocol, with the clean accuracy and the time it took. */
export interface ProtocolResult extends RobustResult {
  readonly protocol: string;
  readonly clean: number;
  /** Wall-clock seconds of the attack. */
  readonly seconds: number;
}

/**
 * Clean accuracy and accuracy under `protocol` on `data` (the whole test set
 * is the published setting), with an optional progress bar.
 */
export async function evaluateProtocol(view: ModelView, data: EvalData, protocol: EvaluationProtocol,
  options: EvalOptions = {}): Promise<ProtocolResult> {
  const clean = (await cleanAccuracy(view, data, { ...options, progress: false })).accuracy;
  const t0 = performance.now();
  const result = await robustAccuracy(view, data, protocol.attack, options);
  return { ...result, protocol: protocol.name, clean, seconds: (performance.now() - t0) / 1000 };
}
