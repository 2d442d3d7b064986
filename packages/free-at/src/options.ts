import { checkOptions } from '@advtrain/core';

/** Options of {@link freeAt}; README maps them to the paper's symbols. */
export interface FreeAtOptions {
  /** `'image'`: persistent L∞ buffer (§4.1); `'nlp'`: FreeLB-repo variant, L2 steps, δ re-drawn per minibatch (§4.9). */
  readonly variant: 'image' | 'nlp';
  /** m: replays of each minibatch, one optimizer step each. */
  readonly replays: number;
  /** ε: L∞ clip of the buffer (image); L2 `max_norm` (nlp, 0 = no projection). */
  readonly epsilon: number;
  /** FGSM step on the buffer (image, null = ε as in both reference codes); `adv_lr` (nlp, null = 0.1). */
  readonly stepSize: number | null;
  /** nlp: `rand_init_mag` of the masked uniform start. Unused by the image variant. */
  readonly initMagnitude: number;
}

/**
 * Paper defaults from the ImageNet PyTorch code (mahyarnajibi/FreeAdversarialTraining
 * `configs.yml`): m = 4, ε = 4/255, step = ε. CIFAR (TF code) uses m = 8, ε = 8/255.
 */
export const FREE_AT_DEFAULTS: FreeAtOptions = Object.freeze({
  variant: 'image',
  replays: 4,
  epsilon: 4 / 255,
  stepSize: null,
  initMagnitude: 0,
});

/**
 * FreeAT on MNIST at ε = 0.3. The FreeAT paper has no MNIST row; this follows
 * the closest published setting, the FreeAT re-implementation of Wong, Rice &
 * Kolter (2020, locuslab/fast_adversarial `CIFAR10/train_free.py`): m = 8
 * replays, buffer step = ε, epochs divided by m, with the MNIST radius. Pair it
 * with a cyclic learning rate over the (divided) epochs.
 */
export const FREE_AT_MNIST_PRESET: Partial<FreeAtOptions> = Object.freeze({
  variant: 'image',
  replays: 8,
  epsilon: 0.3,
  stepSize: null,
});

/**
 * The FreeLB repository's NLP FreeAT (`freeat_train_step`), with the fairseq
 * RoBERTa-large MNLI launch values (adv_steps 2, adv_lr 0.1, init_mag 0.1, max_norm 0.3).
 */
export const FREE_AT_NLP_PRESET: Partial<FreeAtOptions> = Object.freeze({
  variant: 'nlp',
  replays: 2,
  epsilon: 0.3,
  stepSize: 0.1,
  initMagnitude: 0.1,
});

/** Validates `input` and fills in defaults; throws StrategyOptionsError naming the option. */
export function resolveFreeAtOptions(input: Partial<FreeAtOptions> = {}): Readonly<FreeAtOptions> {
  const checker = checkOptions('@advtrain/free-at', input, FREE_AT_DEFAULTS)
    .oneOf('variant', ['image', 'nlp'])
    .integer('replays', { min: 1 })
    .nonNegative('epsilon')
    .nonNegative('initMagnitude');
  if (checker.values.stepSize !== null) checker.nonNegative('stepSize');
  return checker.done();
}

/** The step size in effect: the option, or its variant's default. */
export function effectiveStepSize(o: FreeAtOptions): number {
  return o.stepSize ?? (o.variant === 'image' ? o.epsilon : 0.1);
}
