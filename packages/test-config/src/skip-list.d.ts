export interface SkipEntry {
  readonly backend: string;
  readonly test: RegExp;
  readonly reason: string;
}
export const SKIP_LIST: readonly SkipEntry[];
export function skipReason(backend: string, testName: string): string | null;
export function currentBackend(): string;
