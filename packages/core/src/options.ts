import { StrategyOptionsError, describeValue } from './errors.js';

/**
 * Babel-style option checking. `checkOptions` rejects unknown keys (with a
 * closest-match suggestion) and merges defaults; the returned checker then
 * validates each option by name. Every message names the package, the
 * option, the constraint and the value received.
 */
export class OptionChecker<T extends object> {
  readonly pkg: string;
  readonly values: T;
  private readonly given: Readonly<Record<string, unknown>>;

  constructor(pkg: string, values: T, given: Readonly<Record<string, unknown>>) {
    this.pkg = pkg;
    this.values = values;
    this.given = given;
  }

  private value(name: keyof T & string): unknown {
    return (this.values as Record<string, unknown>)[name];
  }

  /** Throws a `StrategyOptionsError` saying that option `name` must be `constraint`, with the value received. */
  fail(name: string, constraint: string, why = ''): never {
    const received = describeValue((this.values as Record<string, unknown>)[name]);
    throw new StrategyOptionsError('ADVTRAIN_INVALID_OPTION', this.pkg, name, received,
      `${this.pkg}: option "${name}" must be ${constraint} (received ${received}).${why ? ` ${why}` : ''}`);
  }

  /** Whether the caller set this option (as opposed to taking the default). */
  isSet(name: keyof T & string): boolean {
    return Object.prototype.hasOwnProperty.call(this.given, name) && this.given[name] !== undefined;
  }

  /** Checks a finite number, optionally within a range. */
  number(name: keyof T & string, range: { min?: number; max?: number; minExclusive?: number } = {}): this {
    const v = this.value(name);
    const parts: string[] = [];
    if (range.minExclusive !== undefined) parts.push(`> ${range.minExclusive}`);
    if (range.min !== undefined) parts.push(`>= ${range.min}`);
    if (range.max !== undefined) parts.push(`<= ${range.max}`);
    const constraint = `a finite number${parts.length ? ` ${parts.join(' and ')}` : ''}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, constraint);
    if (range.minExclusive !== undefined && !(v > range.minExclusive)) this.fail(name, constraint);
    if (range.min !== undefined && v < range.min) this.fail(name, constraint);
    if (range.max !== undefined && v > range.max) this.fail(name, constraint);
    return this;
  }

  /** Checks a finite number > 0. */
  positive(name: keyof T & string): this {
    return this.number(name, { minExclusive: 0 });
  }

  /** Checks a finite number >= 0. */
  nonNegative(name: keyof T & string): this {
    return this.number(name, { min: 0 });
  }

  /** Checks an integer, optionally within a range. */
  integer(name: keyof T & string, range: { min?: number; max?: number } = {}): this {
    const v = this.value(name);
    const parts: string[] = [];
    if (range.min !== undefined) parts.push(`>= ${range.min}`);
    if (range.max !== undefined) parts.push(`<= ${range.max}`);
    const constraint = `an integer${parts.length ? ` ${parts.join(' and ')}` : ''}`;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(name, constraint);
    if (range.min !== undefined && v < range.min) this.fail(name, constraint);
    if (range.max !== undefined && v > range.max) this.fail(name, constraint);
    return this;
  }

  /** Checks `true` or `false`. */
  boolean(name: keyof T & string): this {
    if (typeof this.value(name) !== 'boolean') this.fail(name, 'true or false');
    return this;
  }

  /** Checks that the value is one of `allowed`. */
  oneOf(name: keyof T & string, allowed: readonly unknown[]): this {
    if (!allowed.includes(this.value(name))) {
      this.fail(name, `one of ${allowed.map((a) => describeValue(a)).join(', ')}`);
    }
    return this;
  }

  /** `null` or a `[lo, hi]` pair with lo < hi. */
  range(name: keyof T & string): this {
    const v = this.value(name);
    if (v === null) return this;
    const ok = Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n))
      && (v[0] as number) < (v[1] as number);
    if (!ok) this.fail(name, 'null or a pair [lo, hi] of finite numbers with lo < hi');
    return this;
  }

  /** Checks a seed: an integer from 0 to 2³² − 1. */
  integerSeed(name: keyof T & string): this {
    return this.integer(name, { min: 0, max: 2 ** 32 - 1 });
  }

  /** Returns the checked options, frozen. */
  done(): Readonly<T> {
    return Object.freeze({ ...this.values });
  }
}

/**
 * Rejects unknown keys and merges `defaults` under `input`. A key whose value
 * is `undefined` takes its default.
 */
export function checkOptions<T extends object>(pkg: string, input: unknown, defaults: T): OptionChecker<T> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new StrategyOptionsError('ADVTRAIN_INVALID_OPTION', pkg, '(options)', describeValue(input),
      `${pkg}: options must be a plain object (received ${describeValue(input)}).`);
  }
  const given = input as Record<string, unknown>;
  const known = Object.keys(defaults);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      const suggestion = closestMatch(key, known);
      throw new StrategyOptionsError('ADVTRAIN_UNKNOWN_OPTION', pkg, key, describeValue(given[key]),
        `${pkg}: unknown option "${key}" (received ${describeValue(given[key])}).`
        + (suggestion ? ` Did you mean "${suggestion}"?` : '')
        + (known.length ? ` Known options: ${known.join(', ')}.` : ' It takes no options.'));
    }
  }
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(given)) if (value !== undefined) merged[key] = value;
  return new OptionChecker(pkg, merged as unknown as T, given);
}

/** Closest known name by edit distance, if it is close enough to be a typo. */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}
