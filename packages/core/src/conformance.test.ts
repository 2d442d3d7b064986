import { describe, it } from 'vitest';
import { clean } from './clean.js';
import { conformanceCases } from './testing/index.js';

// The kit on core's own baseline strategy, once per fixture family.
describe('conformance kit on clean()', () => {
  for (const c of conformanceCases(clean, { invalid: [[{ epsilon: 1 }, 'epsilon']] })) it(c.name, c.run);
  for (const c of conformanceCases(clean, { fixture: 'embedding' })) it(`[embedding] ${c.name}`, c.run);
});
