/**
 * Errors thrown by advtrain packages. Callers branch on `code`, never on
 * `instanceof`: an app can hold two copies of a package, and classes from
 * different copies are not the same object.
 */
export type AdvtrainErrorCode =
  | 'ADVTRAIN_INVALID_OPTION'
  | 'ADVTRAIN_UNKNOWN_OPTION'
  | 'ADVTRAIN_INVALID_ARGUMENT'
  | 'ADVTRAIN_UNSUPPORTED'
  | 'ADVTRAIN_NO_GRADIENTS'
  | 'ADVTRAIN_STATE_MISMATCH'
  | 'ADVTRAIN_INVALID_BATCH'
  | 'ADVTRAIN_NON_FINITE'
  | 'ADVTRAIN_INVALID_CHECKPOINT';

/** Every error thrown by advtrain packages. Branch on `code` (stable), not on `instanceof`, which fails across duplicate copies of the package. */
export class AdvtrainError extends Error {
  readonly code: AdvtrainErrorCode;
  constructor(code: AdvtrainErrorCode, message: string) {
    super(message);
    this.name = 'AdvtrainError';
    this.code = code;
  }
}

/** A strategy factory received an option that is unknown or breaks a constraint. */
export class StrategyOptionsError extends AdvtrainError {
  /** Package that validated the options, e.g. `@advtrain/pgd`. */
  readonly strategy: string;
  /** The option exactly as the caller typed it. */
  readonly option: string;
  /** The value received, as a short printable string. */
  readonly received: string;
  constructor(code: 'ADVTRAIN_INVALID_OPTION' | 'ADVTRAIN_UNKNOWN_OPTION', strategy: string, option: string,
    received: string, message: string) {
    super(code, message);
    this.name = 'StrategyOptionsError';
    this.strategy = strategy;
    this.option = option;
    this.received = received;
  }
}

/** Prints a value for an error message: tensors as shape and dtype, never data. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (isTensorLike(value)) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isTensorLike(value: unknown): value is { shape: number[]; dtype: string } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { shape?: unknown }).shape)
    && typeof (value as { dtype?: unknown }).dtype === 'string';
}

/** Throws an `AdvtrainError` with a lazily built message (hot-path asserts). */
export function assertArgument(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT', message());
}
