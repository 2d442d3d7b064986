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
export {
  CatastrophicOverfittingMonitor, type EpochHookInfo, type OverfittingCheck, type OverfittingOptions,
} from './overfitting.js';
