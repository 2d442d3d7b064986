export { checkBatch, correctMask, minibatches, type EvalData } from './data.js';
export {
  evalContext, fgsmOptions, inferenceLogits, pgdAttack, resolveAttack,
  type AttackOptions, type AttackResult, type ResolvedAttack,
} from './attack.js';
export {
  accuracyCurve, cleanAccuracy, describeAttack, fgsmAccuracy, robustAccuracy, robustnessReport,
  type AccuracyResult, type CurvePoint, type EvalOptions, type RobustResult, type RobustnessReport,
  type RobustnessReportOptions,
} from './accuracy.js';
export { gradientMaskingWarnings, type MaskingEvidence, type MaskingWarning } from './warnings.js';
export { dlrLoss, targetedDlrLoss } from './dlr-loss.js';
export { apgdAttack, resolveApgd, type ApgdOptions } from './apgd.js';
export { fabAttack, resolveFab, type FabOptions } from './fab.js';
export { squareAttack, resolveSquare, type SquareOptions } from './square.js';
export type { SuiteAttackResult } from './rows.js';
export type { ProgressStream } from './attack-progress.js';
export {
  AUTO_ATTACK_NAMES, AUTO_ATTACK_VERSIONS, autoAttack, resolveAutoAttack,
  type AutoAttackName, type AutoAttackOptions, type AutoAttackResult,
} from './auto-attack.js';
export {
  CatastrophicOverfittingMonitor, type EpochHookInfo, type OverfittingCheck, type OverfittingOptions,
} from './overfitting.js';
export {
  EVALUATION_PROTOCOLS, PGD_40_MADRY_MNIST, PGD_50_10_MNIST, evaluateProtocol,
  type EvaluationProtocol, type ProtocolResult,
} from './protocols.js';
