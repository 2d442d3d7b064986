import { checkOptions } from '@advtrain/core';

/** Options of {@link pgd}. Every field is optional; see {@link PGD_DEFAULTS}. */
export interface PgdOptions {
  /** Radius ε of the ball. `0` means "no projection" (FreeLB's `max_norm 0`), allowed only with `norm: 'l2'`. Default 0.3. */
  readonly epsilon?: number;
  /** Ascent step size a. Default 0.01. */
  readonly stepSize?: number;
  /** Attack steps K. Default 40. */
  readonly steps?: number;
  /** Threat model and step normalisation: `'linf'` (sign step) or `'l2'` (`g/(‖g‖₂ + 1e-10)` per example). Default `'linf'`. */
  readonly norm?: 'linf' | 'l2';
  /** Start from a random point (else from δ = 0). Default true. */
  readonly randomStart?: boolean;
  /**
   * null: start uniformly in the ball (L∞ `U(−ε, ε)`; L2 `U(−0.5, 0.5)` rescaled to norm ≤ ε).
   * A number m: FreeLB's masked start `U(−1, 1)·m/sqrt(len·H)` on real tokens only. Default null.
   */
  readonly initMagnitude?: number | null;
  /** Mode of the attack passes: `'train'` (dropout on, batch statistics; Madry) or `'inference'`. Default `'train'`. */
  readonly attackMode?: 'train' | 'inference';
  /**
   * Per-example early stop: each step moves δ only for the examples the model
   * still classifies correctly at the current δ; the others keep the δ that
   * already fools it (locuslab/fast_adversarial `MNIST/train_mnist.py`, pgd
   * branch, and `CIFAR10/utils.py attack_pgd`). Costs no extra pass. Default false.
   */
  readonly earlyStop?: boolean;
}

/** {@link PgdOptions} after validation: every field present, defaults filled in. */
export type ResolvedPgdOptions = Readonly<Required<PgdOptions>>;

/** Defaults: Madry et al. (2018), MNIST, `MadryLab/mnist_challenge config.json`. */
export const PGD_DEFAULTS: ResolvedPgdOptions = Object.freeze({
  epsilon: 0.3, stepSize: 0.01, steps: 40, norm: 'linf', randomStart: true, initMagnitude: null, attackMode: 'train',
  earlyStop: false,
});

/**
 * PGD training on MNIST as in locuslab/fast_adversarial `MNIST/train_mnist.py`
 * (pgd branch): ε = 0.3, random start clamped to [0, 1], per-example early
 * stop. Ten steps of 2.5·ε/10 = 0.075 rather than the script's 40 of 0.01 keep a
 * 60,000-image epoch near two minutes on wasm; pair it with the script's cyclic
 * Adam learning rate (peak 5e-3).
 */
export const PGD_MNIST_PRESET = Object.freeze({
  epsilon: 0.3, stepSize: 0.075, steps: 10, norm: 'linf', randomStart: true, earlyStop: true,
} as const);

/**
 * Madry et al.'s MNIST training attack (`MadryLab/mnist_challenge config.json`):
 * PGD-40, step 0.01, ε = 0.3, random start, no early stop. The library defaults.
 */
export const PGD_MADRY_MNIST_PRESET = Object.freeze({
  epsilon: 0.3, stepSize: 0.01, steps: 40, norm: 'linf', randomStart: true, earlyStop: false,
} as const);

/** L2 PGD on MNIST, `MadryLab/mnist_challenge config_l2.json`: ε = 2.0, step 0.125, 40 steps. */
export const PGD_L2_PRESET = Object.freeze({ norm: 'l2', epsilon: 2.0, stepSize: 0.125, steps: 40 } as const);

/**
 * FreeLB repo's "vanilla PGD" on word embeddings (`std_adv_train_step`), with the
 * RoBERTa-large MRPC launch values (`launch/VanillaPGD/stdadv-mrpc-fp32-clip.sh`):
 * adv-lr 0.04, 3 steps, rand-init-mag 0.64, max-norm 0.4. Use `epsilon: 0` for no projection.
 */
export const PGD_NLP_PRESET = Object.freeze({
  norm: 'l2', epsilon: 0.4, stepSize: 0.04, steps: 3, randomStart: true, initMagnitude: 0.64,
} as const);

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolvePgdOptions(input: unknown): ResolvedPgdOptions {
  const c = checkOptions('@advtrain/pgd', input, PGD_DEFAULTS as Required<PgdOptions>)
    .oneOf('norm', ['linf', 'l2']).nonNegative('epsilon').positive('stepSize').integer('steps', { min: 1 })
    .boolean('randomStart').oneOf('attackMode', ['train', 'inference']).boolean('earlyStop');
  const { epsilon, norm, randomStart, initMagnitude } = c.values;
  if (initMagnitude !== null && !(typeof initMagnitude === 'number' && Number.isFinite(initMagnitude) && initMagnitude >= 0)) {
    c.fail('initMagnitude', 'null (start in the ε-ball) or a finite number >= 0');
  }
  if (epsilon === 0 && norm === 'linf') c.fail('epsilon', 'a finite number > 0 when norm is "linf"');
  if (epsilon === 0 && randomStart && initMagnitude === null) {
    c.fail('epsilon', 'a finite number > 0 for a random start in the ε-ball',
      'Set initMagnitude for a masked start, or randomStart: false.');
  }
  return c.done();
}
