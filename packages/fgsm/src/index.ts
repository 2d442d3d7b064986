export { fgsm, type FgsmState } from './fgsm.js';
export {
  FGSM_DEFAULTS, FGSM_RS_PRESET, resolveFgsmOptions, type FgsmOptions, type ResolvedFgsmOptions,
} from './options.js';
