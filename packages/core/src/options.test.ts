import { describe, expect, it } from 'vitest';
import { checkOptions, closestMatch } from './options.js';
import { StrategyOptionsError } from './errors.js';
import * as tf from '@tensorflow/tfjs-core';

const DEFAULTS = { epsilon: 0.3, steps: 10, norm: 'linf' as 'linf' | 'l2', randomStart: true, range: [0, 1] as [number, number] | null };

function resolve(input: unknown) {
  return checkOptions('@advtrain/demo', input, DEFAULTS)
    .positive('epsilon').integer('steps', { min: 1 }).oneOf('norm', ['linf', 'l2']).boolean('randomStart').range('range').done();
}

function errorOf(fn: () => unknown): StrategyOptionsError {
  try { fn(); } catch (e) { return e as StrategyOptionsError; }
  throw new Error('expected a throw');
}

describe('checkOptions', () => {
  it('merges defaults, treats undefined as unset and freezes the result', () => {
    const o = resolve({ steps: 3, norm: undefined });
    expect(o).toEqual({ ...DEFAULTS, steps: 3 });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('names the package, the option, the constraint and the value received', () => {
    const e = errorOf(() => resolve({ steps: 0 }));
    expect(e.code).toBe('ADVTRAIN_INVALID_OPTION');
    expect(e.option).toBe('steps');
    expect(e.received).toBe('0');
    expect(e.message).toBe('@advtrain/demo: option "steps" must be an integer >= 1 (received 0).');
  });

  it('rejects NaN, Infinity and wrong types', () => {
    expect(errorOf(() => resolve({ epsilon: NaN })).message).toContain('"epsilon" must be a finite number > 0 (received NaN)');
    expect(errorOf(() => resolve({ epsilon: Infinity })).option).toBe('epsilon');
    expect(errorOf(() => resolve({ epsilon: '0.3' })).message).toContain('(received "0.3")');
    expect(errorOf(() => resolve({ norm: 'l1' })).message).toContain('must be one of "linf", "l2" (received "l1")');
    expect(errorOf(() => resolve({ randomStart: 1 })).message).toContain('must be true or false');
    expect(errorOf(() => resolve({ range: [1, 0] })).option).toBe('range');
  });

  it('describes tensors by shape and dtype, never by data', () => {
    const t = tf.zeros([2, 3]);
    expect(errorOf(() => resolve({ epsilon: t })).received).toBe('a float32 tensor of shape [2, 3]');
    t.dispose();
  });

  it('rejects unknown options and suggests the closest name', () => {
    const e = errorOf(() => resolve({ epsilion: 0.1 }));
    expect(e.code).toBe('ADVTRAIN_UNKNOWN_OPTION');
    expect(e.message).toContain('@advtrain/demo: unknown option "epsilion" (received 0.1). Did you mean "epsilon"?');
    expect(errorOf(() => resolve({ zzz: 1 })).message).not.toContain('Did you mean');
  });

  it('rejects options that are not a plain object', () => {
    expect(errorOf(() => resolve(3)).message).toBe('@advtrain/demo: options must be a plain object (received 3).');
    expect(resolve(undefined)).toEqual(DEFAULTS);
  });

  it('closestMatch only suggests near misses', () => {
    expect(closestMatch('stepsize', ['stepSize', 'steps'])).toBe('stepSize');
    expect(closestMatch('banana', ['epsilon', 'steps'])).toBeUndefined();
  });
});
