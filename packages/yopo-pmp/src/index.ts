export { yopoPmp, type YopoPmpState } from './yopo-pmp.js';
export {
  YOPO_PMP_DEFAULTS, YOPO_PMP_MNIST_PRESET, YOPO_PMP_NLP_PRESET, resolveYopoPmpOptions, type YopoPmpOptions,
} from './options.js';
