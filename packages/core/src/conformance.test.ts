import { describe, expect, it } from 'vitest';
import { clean } from './clean.js';
import { defineStrategy } from './define-strategy.js';
import { checkOptions } from './options.js';
import { conformanceCases } from './testing/index.js';

// The kit on core's own baseline strategy, once per fixture family.
describe('conformance kit on clean()', () => {
  const packageName = '@advtrain/core';
  for (const c of conformanceCases(clean, { packageName, invalid: [[{ epsilon: 1 }, 'epsilon']] })) it(c.name, c.run);
  for (const c of conformanceCases(clean, { packageName, fixture: 'embedding' })) it(`[embedding] ${c.name}`, c.run);

  it('states only sites, threat model and passes; the rest are the defaults', () => {
    expect(clean().capabilities).toStrictEqual({
      sites: ['input', 'embedding'],
      threat: { norm: 'none', epsilon: null },
      respectsValidRange: true,
      stepsOptimizer: false,
      optimizerStepsPerBatch: 1,
      needsLayerOne: false,
      dropout: 'fresh',
      passesPerBatch: { full: 1, layerOne: 0 },
    });
  });
});

/** A third-party strategy published outside the @advtrain scope: clean training with one checked option. */
function acmeClean(options: { weight?: number } = {}) {
  const o = checkOptions('@acme/clean-copy', options, { weight: 1 }).positive('weight').done();
  const base = clean();
  return defineStrategy({
    name: 'clean-copy', options: o, capabilities: base.capabilities,
    init: base.init, innerMax: base.innerMax, outerMin: base.outerMin,
  });
}

describe('conformance kit on a strategy published under another scope', () => {
  for (const c of conformanceCases(acmeClean, { packageName: '@acme/clean-copy', invalid: [[{ weight: 0 }, 'weight']] })) it(c.name, c.run);

  it('without packageName, the failure says which prefix it expected', async () => {
    const cases = conformanceCases(acmeClean, { invalid: [[{ weight: 0 }, 'weight']] });
    const unknown = cases.find((c) => c.name.includes('rejects unknown options'));
    await expect(unknown?.run()).rejects.toThrow(
      /must start with the package name "@advtrain\/clean-copy:" \(set the kit's packageName option.*but it is: @acme\/clean-copy: unknown option "notAnOption"/);
  });
});
