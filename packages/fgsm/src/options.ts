import { checkOptions } from '@advtrain/core';

const PKG = '@advtrain/fgsm';

/** Options of {@link fgsm}. Every field is optional; see {@link FGSM_DEFAULTS}. */
export interface FgsmOptions {
  /** Radius ε of the L∞ ball. Default 0.25 (Goodfellow et al., MNIST maxout, pixels in [0, 1]). */
  readonly epsilon?: number;
  /**
   * Weight α of the clean loss in `α·ℓ(x) + (1 − α)·ℓ(x + δ)`, in [0, 1].
   * Default null: 0.5 (Goodfellow et al.), or 0 with `randomStart` (Wong et al.'s code).
   */
  readonly alpha?: number | null;
  /** Size of the sign step from the start point. Default null: ε, or 1.25·ε with `randomStart` (Wong et al.). */
  readonly stepSize?: number | null;
  /** Start from δ₀ ~ U(−ε, ε) (FGSM-RS, "Fast is better than free"). Default false. */
  readonly randomStart?: boolean;
  /**
   * Clamp the random start so that x + δ₀ stays in the view's valid range
   * before the gradient pass (`CIFAR10/train_fgsm.py`). `false` takes the
   * gradient at the unclamped x + δ₀, as `MNIST/train_mnist.py` does; only the
   * final δ is clamped. On MNIST, where most pixels are 0, a clamped start
   * leaves about 40 % of the coordinates unperturbed. Default true.
   */
  readonly clampStart?: boolean;
  /** Labels of the attack gradient: `'true'`, or the model's `'predicted'` class (avoids label leaking). Default `'true'`. */
  readonly labelSource?: 'true' | 'predicted';
}

/** Options after validation, with the automatic defaults filled in. */
export interface ResolvedFgsmOptions {
  readonly epsilon: number;
  readonly alpha: number;
  readonly stepSize: number;
  readonly randomStart: boolean;
  readonly clampStart: boolean;
  readonly labelSource: 'true' | 'predicted';
}

/** Defaults; `null` means "depends on `randomStart`" (see {@link FgsmOptions}). */
export const FGSM_DEFAULTS: Readonly<Required<FgsmOptions>> = Object.freeze({
  epsilon: 0.25,
  alpha: null,
  stepSize: null,
  randomStart: false,
  clampStart: true,
  labelSource: 'true',
});

/**
 * FGSM with random start as trained on MNIST in Wong, Rice & Kolter (2020),
 * locuslab/fast_adversarial `MNIST/train_mnist.py` (fgsm branch): ε = 0.3, step
 * 0.375 (1.25·ε), no clean term, and the gradient taken at the unclamped
 * start x + δ₀ (only the final δ keeps x + δ in [0, 1]).
 */
export const FGSM_RS_MNIST_PRESET = Object.freeze({
  epsilon: 0.3, stepSize: 0.375, randomStart: true, clampStart: false, alpha: 0,
} as const);

/**
 * FGSM with random start as trained on CIFAR-10 in Wong, Rice & Kolter (2020),
 * locuslab/fast_adversarial `CIFAR10/train_fgsm.py`: ε = 8/255, step 10/255
 * (1.25·ε), no clean term, the start clamped so that x + δ₀ is a valid image.
 * Pixels in [0, 1]; normalise inside the model.
 */
export const FGSM_RS_CIFAR_PRESET = Object.freeze({
  epsilon: 8 / 255, stepSize: 10 / 255, randomStart: true, clampStart: true, alpha: 0,
} as const);

/** The MNIST recipe, {@link FGSM_RS_MNIST_PRESET}. */
export const FGSM_RS_PRESET = FGSM_RS_MNIST_PRESET;

/** Validates `input` (unknown keys are errors) and fills in the defaults. */
export function resolveFgsmOptions(input: unknown): Readonly<ResolvedFgsmOptions> {
  const c = checkOptions(PKG, input, FGSM_DEFAULTS as Required<FgsmOptions>)
    .positive('epsilon').boolean('randomStart').boolean('clampStart').oneOf('labelSource', ['true', 'predicted']);
  const { epsilon, alpha, stepSize, randomStart, clampStart, labelSource } = c.values;
  if (alpha !== null && !(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) {
    c.fail('alpha', 'null (automatic) or a number from 0 to 1');
  }
  if (stepSize !== null && !(typeof stepSize === 'number' && Number.isFinite(stepSize) && stepSize > 0)) {
    c.fail('stepSize', 'null (automatic) or a finite number > 0');
  }
  return Object.freeze({
    epsilon,
    alpha: alpha ?? (randomStart ? 0 : 0.5),
    stepSize: stepSize ?? (randomStart ? 1.25 * epsilon : epsilon),
    randomStart,
    clampStart,
    labelSource,
  });
}
