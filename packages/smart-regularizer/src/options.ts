import { checkOptions } from '@advtrain/core';

/** Options of {@link smartRegularizer}. Every field is optional; see {@link SMART_REGULARIZER_DEFAULTS}. */
export interface SmartRegularizerOptions {
  /** Weight λ_s of the regulariser (`adv_alpha`). */
  readonly regWeight?: number;
  /** Inner ascent steps T_x̃ (`adv_k`). */
  readonly steps?: number;
  /** Inner step η (`adv_step_size`). */
  readonly stepSize?: number;
  /** Standard deviation σ of the initial noise ν ~ σ·N(0, I) (`adv_noise_var`, a std multiplier). */
  readonly noiseScale?: number;
  /** Division guard of the per-token max-abs normalisation (`adv_epsilon` in mt-dnn). */
  readonly guard?: number;
  /** `'mtdnn'`: ν ← (ν + η g) / (max|·| + guard) per token, no radius; `'paper'`: Π_{‖ν‖∞ ≤ ε}(ν + η g / ‖g‖∞). */
  readonly projection?: 'mtdnn' | 'paper';
  /** Radius ε of the per-token L∞ ball; used only with `projection: 'paper'`. */
  readonly epsilon?: number;
  /** `'symkl'`: KL(sg(P̃)‖P) + KL(sg(P)‖P̃) (classification); `'mse'`: squared error of the outputs (regression). */
  readonly divergence?: 'symkl' | 'mse';
  /**
   * Add the clean task loss to λ·R (the paper's L + λ·R). Set it to false when
   * another member of a `chain` already contributes the task loss (FreeLB, PGD).
   */
  readonly taskLoss?: boolean;
}

/** {@link SmartRegularizerOptions} after validation: every field present, defaults filled in. */
export type ResolvedSmartRegularizerOptions = Readonly<Required<SmartRegularizerOptions>>;

/** mt-dnn `train.py` defaults (the code behind the released GLUE results). */
export const SMART_REGULARIZER_DEFAULTS: ResolvedSmartRegularizerOptions = Object.freeze({
  regWeight: 1,
  steps: 1,
  stepSize: 1e-5,
  noiseScale: 1e-5,
  guard: 1e-6,
  projection: 'mtdnn',
  epsilon: 1e-5,
  divergence: 'symkl',
  taskLoss: true,
});

/** The paper's Algorithm 1: normalised gradient step, then projection onto ‖x̃ − x‖∞ ≤ ε. */
export const SMART_PAPER_PRESET = Object.freeze({
  projection: 'paper',
  stepSize: 1e-3,
  epsilon: 1e-5,
} as const satisfies SmartRegularizerOptions);

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveSmartRegularizerOptions(input: unknown): ResolvedSmartRegularizerOptions {
  return checkOptions('@advtrain/smart-regularizer', input, SMART_REGULARIZER_DEFAULTS as Required<SmartRegularizerOptions>)
    .nonNegative('regWeight')
    .integer('steps', { min: 1 })
    .nonNegative('stepSize')
    .nonNegative('noiseScale')
    .positive('guard')
    .oneOf('projection', ['mtdnn', 'paper'])
    .positive('epsilon')
    .oneOf('divergence', ['symkl', 'mse'])
    .boolean('taskLoss')
    .done();
}
