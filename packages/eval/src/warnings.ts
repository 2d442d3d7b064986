/** A sign that robust accuracy may be overstated (gradient masking or a too-weak attack). */
export interface MaskingWarning {
  readonly code: 'NOT_MONOTONE_IN_EPSILON' | 'NOT_MONOTONE_IN_STEPS' | 'FGSM_STRONGER_THAN_PGD' | 'ROBUST_ABOVE_CLEAN'
    | 'AUTOATTACK_BELOW_PGD' | 'SQUARE_BEATS_GRADIENT';
  readonly message: string;
}

/** The numbers {@link gradientMaskingWarnings} checks; give whichever you have. */
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
  /** An AutoAttack run (see `autoAttack`), compared with PGD at the same ε. */
  readonly autoAttack?: {
    readonly epsilon: number;
    readonly accuracy: number;
    /** PGD accuracy at this ε; taken from `epsilonCurve` when omitted. */
    readonly pgdAccuracy?: number;
    /** Per example, the attack that broke it (`AutoAttackResult.brokenBy`). */
    readonly brokenBy?: ReadonlyArray<string | null>;
  };
  /** PGD above AutoAttack by more than this is reported. Default 0.05. */
  readonly autoAttackGap?: number;
  /** Square breaking more than this fraction of the examples the gradient attacks left is reported. Default 0.01. */
  readonly squareTolerance?: number;
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
  out.push(...autoAttackWarnings(evidence, eps));
  return out;
}

/**
 * PGD well above AutoAttack, or Square (which reads no gradient) breaking
 * examples that every gradient attack left standing, means the gradients
 * mislead the attacks: gradient masking (Croce & Hein 2020, Athalye et al. 2018).
 */
function autoAttackWarnings(evidence: MaskingEvidence, eps: ReadonlyArray<{ epsilon: number; accuracy: number }>): MaskingWarning[] {
  const aa = evidence.autoAttack;
  if (!aa) return [];
  const out: MaskingWarning[] = [];
  const pgd = aa.pgdAccuracy ?? eps.find((e) => e.epsilon === aa.epsilon)?.accuracy;
  if (pgd !== undefined && pgd - aa.accuracy > (evidence.autoAttackGap ?? 0.05)) {
    out.push({ code: 'AUTOATTACK_BELOW_PGD',
      message: `@advtrain/eval: at ε = ${aa.epsilon} AutoAttack accuracy ${pct(aa.accuracy)} is ${pct(pgd - aa.accuracy)} below PGD accuracy ${pct(pgd)}; PGD is being misled, likely by gradient masking. Report the AutoAttack number.` });
  }
  const by = aa.brokenBy ?? [];
  const bySquare = by.filter((b) => b === 'square').length;
  if (by.length > 0 && bySquare / by.length > (evidence.squareTolerance ?? 0.01)) {
    out.push({ code: 'SQUARE_BEATS_GRADIENT',
      message: `@advtrain/eval: at ε = ${aa.epsilon} the gradient-free Square attack broke ${bySquare} of ${by.length} examples (${pct(bySquare / by.length)}) that every gradient attack left standing; the gradients are uninformative, likely gradient masking.` });
  }
  return out;
}
