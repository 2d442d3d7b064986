import { checkOptions } from '@advtrain/core';

/** Options of {@link fgm}. Every field is optional; see {@link FGM_DEFAULTS}. */
export interface FgmOptions {
  /** L2 length ε of the shift (Miyato's `perturb_norm_length`). Default 5.0 (tuned on IMDB). */
  readonly epsilon?: number;
  /** Weight of the adversarial loss (Miyato's `adv_reg_coeff`); the clean loss has weight 1. Default 1.0. */
  readonly advWeight?: number;
  /**
   * Over what the gradient is normalised: `'example'` (Miyato: one stable L2 norm per
   * example over all non-batch axes) or `'batch'` (the NLP snippet: one Frobenius norm
   * over the whole batch, step skipped when that norm is 0 or NaN). Default `'example'`.
   */
  readonly scope?: 'example' | 'batch';
}

/** {@link FgmOptions} after validation: every field present, defaults filled in. */
export type ResolvedFgmOptions = Readonly<Required<FgmOptions>>;

/** Defaults: Miyato, Dai & Goodfellow (2017), `tensorflow/models research/adversarial_text`. */
export const FGM_DEFAULTS: ResolvedFgmOptions = Object.freeze({ epsilon: 5.0, advWeight: 1.0, scope: 'example' });

/**
 * The widely copied PyTorch "FGM" snippet (zhuanlan.zhihu.com/p/91269728):
 * ε = 1, one Frobenius norm over the whole batch, and the optimizer gets the
 * sum ∇clean + ∇adv. It shifts the embedding *output* of the batch, not the
 * embedding table; see docs/strategies/fgm.md for how that differs.
 */
export const FGM_SNIPPET_PRESET = Object.freeze({ epsilon: 1.0, advWeight: 1.0, scope: 'batch' } as const);

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveFgmOptions(input: unknown): ResolvedFgmOptions {
  return checkOptions('@advtrain/fgm', input, FGM_DEFAULTS as Required<FgmOptions>)
    .positive('epsilon').nonNegative('advWeight').oneOf('scope', ['example', 'batch']).done();
}
