/** A sign that robust accuracy may be overstated (gradient masking or a too-weak attack). */
export interface MaskingWarning {
  readonly code: 'NOT_MONOTONE_IN_EPSILON' | 'NOT_MONOTONE_IN_STEPS' | 'FGSM_STRONGER_THAN_PGD' | 'ROBUST_ABOVE_CLEAN';
  readonly message: string;
}

export interface MaskingEvidence {
  readonly clean?: number;
  /** PGD accuracy against ε. */
  readonly epsilonCurve?: ReadonlyArray<{ epsilon: number; accuracy: number }>;
  /** FGSM accuracy at the same radii. */
  readonly fgsmCurve?: ReadonlyArray<{ epsilon: number; accuracy: number }>;
  /** PGD accuracy against the number of steps (same ε). */
  readonly stepCurve?: ReadonlyArray<{ steps: number; accuracy: number }>;
  /** Accuracy differences up to this are noise. Default 0.005. */
  readonly tolerance?: number;
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

/**
 * Checks that a stronger attack never gives higher accuracy: robust accuracy
 * must not rise with ε or with PGD steps, FGSM must not beat PGD (be stronger),
 * and no robust accuracy may exceed clean accuracy. Any violation suggests
 * gradient masking (Athalye et al., 2018) or a broken attack.
 */
export function gradientMaskingWarnings(evidence: MaskingEvidence): MaskingWarning[] {
  const tol = evidence.tolerance ?? 0.005;
  const out: MaskingWarning[] = [];
  const eps = [...(evidence.epsilonCurve ?? [])].sort((a, b) => a.epsilon - b.epsilon);
  for (let i = 1; i < eps.length; i++) {
    const [lo, hi] = [eps[i - 1]!, eps[i]!];
    if (hi.accuracy > lo.accuracy + tol) {
      out.push({ code: 'NOT_MONOTONE_IN_EPSILON',
        message: `@advtrain/eval: robust accuracy rises from ${pct(lo.accuracy)} at ε = ${lo.epsilon} to ${pct(hi.accuracy)} at ε = ${hi.epsilon}; a larger ball cannot be safer, so the attack is failing (possible gradient masking).` });
    }
  }
  const steps = [...(evidence.stepCurve ?? [])].sort((a, b) => a.steps - b.steps);
  for (let i = 1; i < steps.length; i++) {
    const [lo, hi] = [steps[i - 1]!, steps[i]!];
    if (hi.accuracy > lo.accuracy + tol) {
      out.push({ code: 'NOT_MONOTONE_IN_STEPS',
        message: `@advtrain/eval: robust accuracy rises from ${pct(lo.accuracy)} with ${lo.steps} PGD steps to ${pct(hi.accuracy)} with ${hi.steps}; more steps should never help the model (possible gradient masking).` });
    }
  }
  for (const f of evidence.fgsmCurve ?? []) {
    const p = eps.find((e) => e.epsilon === f.epsilon);
    if (p && f.accuracy + tol < p.accuracy) {
      out.push({ code: 'FGSM_STRONGER_THAN_PGD',
        message: `@advtrain/eval: at ε = ${f.epsilon} FGSM accuracy ${pct(f.accuracy)} is below PGD accuracy ${pct(p.accuracy)}; a single step beating the iterative attack points to gradient masking.` });
    }
  }
  if (evidence.clean !== undefined) {
    for (const p of [...eps, ...(evidence.fgsmCurve ?? [])]) {
      if (p.epsilon > 0 && p.accuracy > evidence.clean + tol) {
        out.push({ code: 'ROBUST_ABOVE_CLEAN',
          message: `@advtrain/eval: accuracy under attack at ε = ${p.epsilon} (${pct(p.accuracy)}) exceeds clean accuracy (${pct(evidence.clean)}); the attack is broken.` });
      }
    }
  }
  return out;
}
