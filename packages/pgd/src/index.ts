export { pgd, type PgdState } from './pgd.js';
export {
  PGD_DEFAULTS, PGD_L2_PRESET, PGD_MADRY_MNIST_PRESET, PGD_MNIST_PRESET, PGD_NLP_PRESET, resolvePgdOptions, type PgdOptions, type ResolvedPgdOptions,
} from './options.js';
