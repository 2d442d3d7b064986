export { freelb, type FreelbState } from './freelb.js';
export { FREELB_DEFAULTS, FREELB_FAIRSEQ_PRESET, resolveFreelbOptions, type FreelbOptions } from './options.js';
