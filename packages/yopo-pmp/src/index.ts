export { yopoPmp, type YopoPmpState } from './yopo-pmp.js';
export { yopoPmpNlp } from './yopo-pmp-nlp.js';
export {
  YOPO_PMP_DEFAULTS, YOPO_PMP_MNIST_PRESET, YOPO_PMP_NLP_DEFAULTS, YOPO_PMP_NLP_PRESET, resolveYopoPmpNlpOptions, resolveYopoPmpOptions,
  type ResolvedYopoPmpNlpOptions, type ResolvedYopoPmpOptions, type YopoPmpNlpOptions, type YopoPmpOptions,
} from './options.js';
