import { chain, clean } from '@advtrain/core';

export const STRATEGIES = ['clean', 'fgm', 'freelb', 'smart', 'freelb+smart'];

/** Strategies at embedding radius ε (per-example L2 over tokens × hidden). */
export async function makeStrategy(name, { epsilon = 1 } = {}) {
  const smart = async () => (await import('@advtrain/smart-regularizer')).smartRegularizer({});
  const freelb = async () => (await import('@advtrain/freelb')).freelb({ maxNorm: epsilon, stepSize: epsilon / 3, initMagnitude: epsilon / 2 });
  switch (name) {
    case 'clean': return clean();
    case 'fgm': return (await import('@advtrain/fgm')).fgm({ epsilon });
    case 'freelb': return freelb();
    case 'smart': return smart();
    case 'freelb+smart': return chain(await freelb(), await smart());
    default: throw new Error(`spam-text: unknown strategy ${JSON.stringify(name)}; use one of ${STRATEGIES.join(', ')}.`);
  }
}
