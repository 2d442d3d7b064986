/** Stable error codes; branch on `error.code` (or `error.name`), not on `instanceof`. */
export type BackendErrorCode =
  | 'ADVTRAIN_UNKNOWN_BACKEND'
  | 'ADVTRAIN_BACKEND_PACKAGE_MISSING'
  | 'ADVTRAIN_NO_GPU_BACKEND'
  | 'ADVTRAIN_BACKEND_INIT_FAILED';

const NAMES: Record<BackendErrorCode, string> = {
  ADVTRAIN_UNKNOWN_BACKEND: 'UnknownBackendError',
  ADVTRAIN_BACKEND_PACKAGE_MISSING: 'BackendPackageMissingError',
  ADVTRAIN_NO_GPU_BACKEND: 'NoGpuBackendError',
  ADVTRAIN_BACKEND_INIT_FAILED: 'BackendInitError',
};

/** Thrown by {@link prepareBackend} when a backend cannot be prepared; branch on `code` (see {@link isBackendError}). */
export class BackendError extends Error {
  readonly code: BackendErrorCode;
  /** The backend name that was asked for, exactly as received. */
  readonly backend: unknown;
  /** The npm package the fix needs, when there is one. */
  readonly packageName: string | undefined;

  constructor(code: BackendErrorCode, message: string, details: { backend: unknown; packageName?: string; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = NAMES[code];
    this.code = code;
    this.backend = details.backend;
    this.packageName = details.packageName;
  }
}

/** Whether `error` is a {@link BackendError} (by name, so it works across duplicate copies of the package), optionally with the given code. */
export function isBackendError(error: unknown, code?: BackendErrorCode): error is BackendError {
  if (typeof error !== 'object' || error === null) return false;
  const c = (error as { code?: unknown }).code;
  return typeof c === 'string' && c in NAMES && (code === undefined || c === code);
}
