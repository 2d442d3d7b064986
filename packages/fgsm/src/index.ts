export { fgsm, type FgsmState } from './fgsm.js';
export {
  FGSM_DEFAULTS, FGSM_RS_CIFAR_PRESET, FGSM_RS_MNIST_PRESET, FGSM_RS_PRESET, resolveFgsmOptions, type FgsmOptions, type ResolvedFgsmOptions,
} from './options.js';
