import { StrategyOptionsError, checkOptions, describeValue } from '@advtrain/core';

const PKG = '@advtrain/free-at';

/** Options of {@link freeAt}. Every field is optional; see {@link FREE_AT_DEFAULTS}. README maps them to the paper's symbols. */
export interface FreeAtOptions {
  /** m: replays of each minibatch, one optimizer step each. Default 4. */
  readonly replays?: number;
  /** ε: L∞ clip of the buffer Δ. Default 4/255. */
  readonly epsilon?: number;
  /** Sign step on the buffer; null means ε, as in both reference codes. Default null. */
  readonly stepSize?: number | null;
  /**
   * Where the valid range is enforced. false (default, Shafahi et al.'s codes): Δ is only
   * clipped to ε and the model sees clamp(x + Δ). true (Wong et al.'s `train_free.py`):
   * after each step Δ is clamped so that x + Δ stays in range, and the model sees x + Δ
   * unclamped, so a slot's Δ carried to a new image may leave the range on its first replay.
   * Default false.
   */
  readonly clampBuffer?: boolean;
}

/** {@link FreeAtOptions} after validation: every field present, defaults filled in. */
export type ResolvedFreeAtOptions = Readonly<Required<FreeAtOptions>>;

/**
 * Paper defaults from the ImageNet PyTorch code (mahyarnajibi/FreeAdversarialTraining
 * `configs.yml`): m = 4, ε = 4/255, step = ε. CIFAR (TF code) uses m = 8, ε = 8/255.
 */
export const FREE_AT_DEFAULTS: ResolvedFreeAtOptions = Object.freeze({ replays: 4, epsilon: 4 / 255, stepSize: null, clampBuffer: false });

/**
 * FreeAT on MNIST at ε = 0.3. The FreeAT paper has no MNIST row; this follows
 * the closest published setting, the FreeAT re-implementation of Wong, Rice &
 * Kolter (2020, locuslab/fast_adversarial `CIFAR10/train_free.py`): m = 8
 * replays, buffer step = ε, epochs divided by m, and Δ clamped so that x + Δ
 * stays in [0, 1] (`clampBuffer`, the `clamp(delta, lower_limit - X, upper_limit - X)`
 * line of its training loop), with the MNIST radius. Pair it with a cyclic
 * learning rate over the (divided) epochs and an ε ramp over the first pass
 * (`epsilonScale: linearRamp({ from: 0, to: 1, endEpoch: 1 })`): at ε = 0.3
 * some seeds otherwise stall at chance accuracy. Without `clampBuffer`, most
 * of Δ sits below 0 on MNIST's black pixels, where the input clamp cancels it
 * and its gradient, and seeds stay robust to FGSM but not to PGD.
 */
export const FREE_AT_MNIST_PRESET: FreeAtOptions = Object.freeze({ replays: 8, epsilon: 0.3, stepSize: null, clampBuffer: true });

/** Options of {@link freeAtNlp}. Every field is optional; see {@link FREE_AT_NLP_DEFAULTS}. */
export interface FreeAtNlpOptions {
  /** m: replays of each minibatch (`adv_steps`), one optimizer step each. Default 2. */
  readonly replays?: number;
  /** Radius of the per-example L2 ball (`max_norm`); 0 means no projection. Default 0.3. */
  readonly epsilon?: number;
  /** Normalised L2 step on δ (`adv_lr`). Default 0.1. */
  readonly stepSize?: number;
  /** `rand_init_mag` of the masked uniform start. Default 0.1. */
  readonly initMagnitude?: number;
}

/** {@link FreeAtNlpOptions} after validation: every field present, defaults filled in. */
export type ResolvedFreeAtNlpOptions = Readonly<Required<FreeAtNlpOptions>>;

/**
 * The FreeLB repository's NLP FreeAT (`freeat_train_step`), with the fairseq
 * RoBERTa-large MNLI launch values (adv_steps 2, adv_lr 0.1, init_mag 0.1, max_norm 0.3).
 */
export const FREE_AT_NLP_DEFAULTS: ResolvedFreeAtNlpOptions = Object.freeze({
  replays: 2, epsilon: 0.3, stepSize: 0.1, initMagnitude: 0.1,
});

/** The NLP launch values, {@link FREE_AT_NLP_DEFAULTS}; pass it to {@link freeAtNlp}. */
export const FREE_AT_NLP_PRESET: FreeAtNlpOptions = FREE_AT_NLP_DEFAULTS;

/** The options the NLP variant moved out of `freeAt`: named in the error instead of "unknown option". */
const MOVED = ['variant', 'initMagnitude'];

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveFreeAtOptions(input: unknown): ResolvedFreeAtOptions {
  const given = (input ?? {}) as Record<string, unknown>;
  const moved = MOVED.find((key) => typeof given === 'object' && key in given);
  if (moved) {
    throw new StrategyOptionsError('ADVTRAIN_UNKNOWN_OPTION', PKG, moved, describeValue(given[moved]),
      `${PKG}: option "${moved}" is gone from freeAt (received ${describeValue(given[moved])}); the NLP variant is its own factory, freeAtNlp(options).`);
  }
  const c = checkOptions(PKG, input, FREE_AT_DEFAULTS as Required<FreeAtOptions>)
    .integer('replays', { min: 1 }).nonNegative('epsilon').boolean('clampBuffer');
  if (c.values.stepSize !== null) c.nonNegative('stepSize');
  return c.done();
}

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveFreeAtNlpOptions(input: unknown): ResolvedFreeAtNlpOptions {
  return checkOptions(PKG, input, FREE_AT_NLP_DEFAULTS as Required<FreeAtNlpOptions>)
    .integer('replays', { min: 1 }).nonNegative('epsilon').nonNegative('stepSize').nonNegative('initMagnitude')
    .done();
}
