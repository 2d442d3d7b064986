import { checkOptions } from '@advtrain/core';

/** Options of {@link yopoPmp}; README maps them to the paper's symbols. */
export interface YopoPmpOptions {
  /** `'image'`: L∞ YOPO-m-n with the extra layer-one term (§5.2); `'nlp'`: FreeLB-repo variant (§5.8). */
  readonly variant: 'image' | 'nlp';
  /** m (the reference's K): full passes per minibatch, each giving a co-state. */
  readonly outerSteps: number;
  /** n: perturbation updates through layer one per outer step. */
  readonly innerSteps: number;
  /** ε: L∞ radius (image); L2 `max_norm` (nlp, 0 = no projection). */
  readonly epsilon: number;
  /** σ: inner sign-step size (image); `adv_lr` of the normalised L2 step (nlp). */
  readonly stepSize: number;
  /** Image: start from η ~ U(−ε, ε) (true, reference) or from 0. */
  readonly randomStart: boolean;
  /** nlp: `rand_init_mag` of the masked uniform start. Unused by the image variant. */
  readonly initMagnitude: number;
}

/**
 * CIFAR-10 YOPO-5-3 (`experiments/CIFAR10/pre-res18.yopo-5-3/config.py`):
 * m = 5, n = 3, σ = 2/255, ε = 8/255. Pair with lr ÷ m (see README).
 */
export const YOPO_PMP_DEFAULTS: YopoPmpOptions = Object.freeze({
  variant: 'image',
  outerSteps: 5,
  innerSteps: 3,
  epsilon: 8 / 255,
  stepSize: 2 / 255,
  randomStart: true,
  initMagnitude: 0,
});

/** MNIST YOPO-5-10 (`experiments/MNIST/YOPO-5-10/config.py`): m = 5, n = 10, σ = 0.01, ε = 0.3. */
export const YOPO_PMP_MNIST_PRESET: Partial<YopoPmpOptions> = Object.freeze({
  outerSteps: 5,
  innerSteps: 10,
  epsilon: 0.3,
  stepSize: 0.01,
});

/**
 * The FreeLB repository's `yopo_train_step` with the fairseq RoBERTa-large
 * MNLI launch values (adv_steps 2, adv_lr 0.1, init_mag 0.1, max_norm 0.3) and
 * 2 layer-one steps per outer step.
 */
export const YOPO_PMP_NLP_PRESET: Partial<YopoPmpOptions> = Object.freeze({
  variant: 'nlp',
  outerSteps: 2,
  innerSteps: 2,
  epsilon: 0.3,
  stepSize: 0.1,
  initMagnitude: 0.1,
});

/** Validates `input` and fills in defaults; throws StrategyOptionsError naming the option. */
export function resolveYopoPmpOptions(input: Partial<YopoPmpOptions> = {}): Readonly<YopoPmpOptions> {
  return checkOptions('@advtrain/yopo-pmp', input, YOPO_PMP_DEFAULTS)
    .oneOf('variant', ['image', 'nlp'])
    .integer('outerSteps', { min: 1 })
    .integer('innerSteps', { min: 0 })
    .nonNegative('epsilon')
    .nonNegative('stepSize')
    .boolean('randomStart')
    .nonNegative('initMagnitude')
    .done();
}
