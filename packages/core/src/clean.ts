import type { PerturbationStrategy } from './contract.js';
import { defineStrategy } from './define-strategy.js';
import { checkOptions } from './options.js';
import { probe } from './probe.js';

/**
 * Natural (non-adversarial) training: no inner max, and the outer min is the
 * gradient of the clean loss. The baseline every method is compared with.
 */
export function clean(options: Record<string, never> = {}): PerturbationStrategy<Record<string, never>, null> {
  const resolved = checkOptions('@advtrain/core', options, {} as Record<string, never>).done();
  return defineStrategy({
    name: 'clean',
    options: resolved,
    capabilities: {
      sites: ['input', 'embedding'],
      threat: { norm: 'none', epsilon: null },
      passesPerBatch: { full: 1 },
    },
    init: () => null,
    innerMax: (_ctx, state) => ({ delta: null, state }),
    outerMin(ctx, inner) {
      const { loss, paramGrads } = probe(ctx, { wrtParams: true });
      return { loss, grads: paramGrads, state: inner.state };
    },
  });
}
