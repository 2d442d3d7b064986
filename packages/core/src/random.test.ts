import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng, nextSeed, randomUniform } from './random.js';
import { values } from './testing/index.js';

describe('seeded randomness', () => {
  it('is a pure function of the state, and the state advances', async () => {
    const rng = createRng(42);
    const [a, next] = randomUniform(rng, [3, 4], -1, 1);
    const [b] = randomUniform(rng, [3, 4], -1, 1);
    const [c] = randomUniform(next, [3, 4], -1, 1);
    expect(Array.from(await values(a))).toEqual(Array.from(await values(b)));
    expect(Array.from(await values(a))).not.toEqual(Array.from(await values(c)));
    expect(next).toEqual({ seed: 42, counter: 1 });
    tf.dispose([a, b, c]);
  });

  it('gives different seeds for different run seeds and counters', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 20; s++) {
      let rng = createRng(s);
      for (let k = 0; k < 20; k++) {
        const [seed, next] = nextSeed(rng);
        seen.add(seed);
        rng = next;
      }
    }
    expect(seen.size).toBe(400);
  });

  it('round-trips through JSON', () => {
    const [, rng] = nextSeed(createRng(7));
    expect(JSON.parse(JSON.stringify(rng))).toEqual(rng);
  });
});
