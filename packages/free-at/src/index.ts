export { freeAt, type FreeAtState } from './free-at.js';
export { FREE_AT_DEFAULTS, FREE_AT_MNIST_PRESET, FREE_AT_NLP_PRESET, resolveFreeAtOptions, type FreeAtOptions } from './options.js';
