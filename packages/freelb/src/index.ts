export { freelb, type FreelbState } from './freelb.js';
export { FREELB_DEFAULTS, FREELB_FAIRSEQ_PRESET, resolveFreelbOptions, type FreelbOptions, type ResolvedFreelbOptions } from './options.js';
