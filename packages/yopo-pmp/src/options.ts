import { StrategyOptionsError, checkOptions, describeValue } from '@advtrain/core';

const PKG = '@advtrain/yopo-pmp';

/** Options of {@link yopoPmp}. Every field is optional; see {@link YOPO_PMP_DEFAULTS}. README maps them to the paper's symbols. */
export interface YopoPmpOptions {
  /** m (the reference's K): full passes per minibatch, each giving a co-state. Default 5. */
  readonly outerSteps?: number;
  /** n: perturbation updates through layer one per outer step. Default 3. */
  readonly innerSteps?: number;
  /** ε: L∞ radius. Default 8/255. */
  readonly epsilon?: number;
  /** σ: inner sign-step size. Default 2/255. */
  readonly stepSize?: number;
  /** Start from η ~ U(−ε, ε) (true, reference) or from 0. Default true. */
  readonly randomStart?: boolean;
}

/** {@link YopoPmpOptions} after validation: every field present, defaults filled in. */
export type ResolvedYopoPmpOptions = Readonly<Required<YopoPmpOptions>>;

/**
 * CIFAR-10 YOPO-5-3 (`experiments/CIFAR10/pre-res18.yopo-5-3/config.py`):
 * m = 5, n = 3, σ = 2/255, ε = 8/255. Pair with lr ÷ m (see README).
 */
export const YOPO_PMP_DEFAULTS: ResolvedYopoPmpOptions = Object.freeze({
  outerSteps: 5, innerSteps: 3, epsilon: 8 / 255, stepSize: 2 / 255, randomStart: true,
});

/** MNIST YOPO-5-10 (`experiments/MNIST/YOPO-5-10/config.py`): m = 5, n = 10, σ = 0.01, ε = 0.3. */
export const YOPO_PMP_MNIST_PRESET: YopoPmpOptions = Object.freeze({ outerSteps: 5, innerSteps: 10, epsilon: 0.3, stepSize: 0.01 });

/** Options of {@link yopoPmpNlp}. Every field is optional; see {@link YOPO_PMP_NLP_DEFAULTS}. */
export interface YopoPmpNlpOptions {
  /** m (`adv_steps`): full passes after the first, each giving a co-state. Default 2. */
  readonly outerSteps?: number;
  /** n: perturbation updates through layer one per outer step. Default 2. */
  readonly innerSteps?: number;
  /** Radius of the per-example L2 ball (`max_norm`); 0 means no projection. Default 0.3. */
  readonly epsilon?: number;
  /** Normalised L2 step (`adv_lr`). Default 0.1. */
  readonly stepSize?: number;
  /** `rand_init_mag` of the masked uniform start. Default 0.1. */
  readonly initMagnitude?: number;
}

/** {@link YopoPmpNlpOptions} after validation: every field present, defaults filled in. */
export type ResolvedYopoPmpNlpOptions = Readonly<Required<YopoPmpNlpOptions>>;

/**
 * The FreeLB repository's `yopo_train_step` with the fairseq RoBERTa-large
 * MNLI launch values (adv_steps 2, adv_lr 0.1, init_mag 0.1, max_norm 0.3) and
 * 2 layer-one steps per outer step.
 */
export const YOPO_PMP_NLP_DEFAULTS: ResolvedYopoPmpNlpOptions = Object.freeze({
  outerSteps: 2, innerSteps: 2, epsilon: 0.3, stepSize: 0.1, initMagnitude: 0.1,
});

/** The NLP launch values, {@link YOPO_PMP_NLP_DEFAULTS}; pass it to {@link yopoPmpNlp}. */
export const YOPO_PMP_NLP_PRESET: YopoPmpNlpOptions = YOPO_PMP_NLP_DEFAULTS;

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveYopoPmpOptions(input: unknown): ResolvedYopoPmpOptions {
  const given = (input ?? {}) as Record<string, unknown>;
  const moved = ['variant', 'initMagnitude'].find((key) => typeof given === 'object' && key in given);
  if (moved) {
    throw new StrategyOptionsError('ADVTRAIN_UNKNOWN_OPTION', PKG, moved, describeValue(given[moved]),
      `${PKG}: option "${moved}" is gone from yopoPmp (received ${describeValue(given[moved])}); the NLP variant is its own factory, yopoPmpNlp(options).`);
  }
  return checkOptions(PKG, input, YOPO_PMP_DEFAULTS as Required<YopoPmpOptions>)
    .integer('outerSteps', { min: 1 }).integer('innerSteps', { min: 0 }).nonNegative('epsilon').nonNegative('stepSize')
    .boolean('randomStart').done();
}

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveYopoPmpNlpOptions(input: unknown): ResolvedYopoPmpNlpOptions {
  return checkOptions(PKG, input, YOPO_PMP_NLP_DEFAULTS as Required<YopoPmpNlpOptions>)
    .integer('outerSteps', { min: 1 }).integer('innerSteps', { min: 0 }).nonNegative('epsilon').nonNegative('stepSize')
    .nonNegative('initMagnitude').done();
}
