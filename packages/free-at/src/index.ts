export { freeAt, type FreeAtState } from './free-at.js';
export { freeAtNlp, type FreeAtNlpState } from './free-at-nlp.js';
export {
  FREE_AT_DEFAULTS, FREE_AT_MNIST_PRESET, FREE_AT_NLP_DEFAULTS, FREE_AT_NLP_PRESET, resolveFreeAtNlpOptions, resolveFreeAtOptions,
  type FreeAtNlpOptions, type FreeAtOptions, type ResolvedFreeAtNlpOptions, type ResolvedFreeAtOptions,
} from './options.js';
