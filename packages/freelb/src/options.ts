import { checkOptions, type DropoutPolicy } from '@advtrain/core';

/** Options of {@link freelb}. Every field is optional; see {@link FREELB_DEFAULTS}. */
export interface FreelbOptions {
  /** Ascent step α of δ (`adv_lr`). */
  readonly stepSize?: number;
  /** Ascent steps K (`adv_steps`); K passes (K + 1 with `variant: 'fairseq'`), each one accumulating ∇θ ÷ passes. */
  readonly steps?: number;
  /** Radius of the masked, length-scaled random start (`adv_init_mag`); 0 starts at the clean input. */
  readonly initMagnitude?: number;
  /** `'l2'`: per-example L2 steps and projection; `'linf'`: max-normalised steps (not sign) and clipping. */
  readonly norm?: 'l2' | 'linf';
  /** Projection radius (`adv_max_norm`); 0 means no projection (unbounded), not radius zero. */
  readonly maxNorm?: number;
  /** `'frozen'`: the same dropout masks in all passes of a step (the paper); `'fresh'`: new masks per pass. */
  readonly dropoutMasks?: DropoutPolicy;
  /** `'hf'`: K passes ÷ K (ALBERT code); `'fairseq'`: K + 1 passes ÷ (K + 1) (RoBERTa code). */
  readonly variant?: 'hf' | 'fairseq';
  /** Floor of the gradient norm in a step: `g / max(‖g‖, guard)` (1e-8 HF, 1e-10 fairseq). */
  readonly guard?: number;
}

/** {@link FreelbOptions} after validation: every field present, defaults filled in. */
export type ResolvedFreelbOptions = Readonly<Required<FreelbOptions>>;

/**
 * Defaults: the ALBERT-xxlarge-v2 QQP launch values of the reference
 * (`zhuchen03/FreeLB huggingface-transformers/launch/run_glue.sh`): adv_lr 0.2,
 * adv_init_mag 0.32, adv_max_norm 0.7, K 3. It is the only bounded ALBERT
 * setting, and RoBERTa-large QQP uses the same α, init and radius (with K 2).
 * The reference's pure CLI defaults (adv_lr 0, init 0, K 1) reduce FreeLB to
 * plain fine-tuning, so they are not used.
 */
export const FREELB_DEFAULTS: ResolvedFreelbOptions = Object.freeze({
  stepSize: 0.2,
  steps: 3,
  initMagnitude: 0.32,
  norm: 'l2',
  maxNorm: 0.7,
  dropoutMasks: 'frozen',
  variant: 'hf',
  guard: 1e-8,
});

/**
 * The fairseq RoBERTa behaviour (`freelb_train_step`): a pass before the first
 * ascent step and one after each, so K + 1 passes each scaled by 1/(K + 1),
 * and a 1e-10 norm floor. Spread it into the options with the task's values.
 */
export const FREELB_FAIRSEQ_PRESET = Object.freeze({
  variant: 'fairseq',
  guard: 1e-10,
} as const satisfies FreelbOptions);

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveFreelbOptions(input: unknown): ResolvedFreelbOptions {
  return checkOptions('@advtrain/freelb', input, FREELB_DEFAULTS as Required<FreelbOptions>)
    .nonNegative('stepSize')
    .integer('steps', { min: 1 })
    .nonNegative('initMagnitude')
    .oneOf('norm', ['l2', 'linf'])
    .nonNegative('maxNorm')
    .oneOf('dropoutMasks', ['frozen', 'fresh'])
    .oneOf('variant', ['hf', 'fairseq'])
    .positive('guard')
    .done();
}
