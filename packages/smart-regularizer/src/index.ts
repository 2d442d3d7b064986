export { smartRegularizer, type SmartRegularizerState } from './smart-regularizer.js';
export {
  SMART_PAPER_PRESET, SMART_REGULARIZER_DEFAULTS, resolveSmartRegularizerOptions, type ResolvedSmartRegularizerOptions, type SmartRegularizerOptions,
} from './options.js';
export { klDivergence, squaredError, stableKl, symmetricKl } from './divergence.js';
