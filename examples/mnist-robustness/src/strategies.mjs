import { clean } from '@advtrain/core';

export const STRATEGIES = ['clean', 'fgsm', 'fgsm-rs', 'pgd', 'free-at', 'yopo-pmp'];

/** Single-step methods, watched by the catastrophic-overfitting monitor. */
export const SINGLE_STEP = ['fgsm', 'fgsm-rs'];

/**
 * The strategy for a --strategy name at radius ε (MNIST, pixels in [0, 1]).
 * Strategy packages are loaded on demand, so the example runs with any subset installed.
 */
export async function makeStrategy(name, { epsilon = 0.3 } = {}) {
  switch (name) {
    case 'clean': return clean();
    case 'fgsm': return (await import('@advtrain/fgsm')).fgsm({ epsilon });
    case 'fgsm-rs': {
      const { fgsm, FGSM_RS_PRESET } = await import('@advtrain/fgsm');
      return fgsm({ ...FGSM_RS_PRESET, epsilon, stepSize: 1.25 * epsilon });
    }
    // PGD-10 with α = 2.5ε/10 keeps the demo short; Madry et al. train with 40 steps of 0.01.
    case 'pgd': return (await import('@advtrain/pgd')).pgd({ epsilon, steps: 10, stepSize: 0.25 * epsilon });
    case 'free-at': return (await import('@advtrain/free-at')).freeAt({ epsilon, replays: 4 });
    case 'yopo-pmp': {
      const { yopoPmp, YOPO_PMP_MNIST_PRESET } = await import('@advtrain/yopo-pmp');
      return yopoPmp({ ...YOPO_PMP_MNIST_PRESET, epsilon });
    }
    default: throw new Error(`mnist-robustness: unknown strategy ${JSON.stringify(name)}; use one of ${STRATEGIES.join(', ')}.`);
  }
}
