/** Where progress goes; a TTY gets a bar redrawn in place, anything else a few plain lines. */
export interface ProgressStream {
  /** Writes `text` as is (no newline added). */
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface AttackProgress {
  /** `done` of `total` examples finished (total null when the data is an iterable). */
  update(done: number, total: number | null, attack: string, robust: number): void;
  finish(summary: string): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

/** The stream `progress` names: `false` → none, `true` → stdout (when there is one), or a given stream. */
export function progressStream(progress: boolean | ProgressStream): ProgressStream | null {
  if (progress === false) return null;
  if (progress === true) {
    const stdout = (globalThis as { process?: { stdout?: ProgressStream } }).process?.stdout;
    return stdout ?? null;
  }
  return progress;
}

/**
 * `autoattack [#####·····] 120/500 fab-t robust 61.2 % 4.2 s`, redrawn with `\r`
 * on a TTY; elsewhere a plain line at each quarter of the data.
 */
export function createAttackProgress(stream: ProgressStream | null, label = 'autoattack'): AttackProgress {
  const start = Date.now();
  let open = false;
  let lastQuarter = 0;
  if (!stream) return { update() {}, finish() {} };
  return {
    update(done, total, attack, robust) {
      const tail = `${done}${total ? `/${total}` : ''} ${attack} robust ${pct(robust)} ${seconds(Date.now() - start)}`;
      if (stream.isTTY === true) {
        const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - label.length - tail.length - 6));
        const filled = total ? Math.round((width * done) / Math.max(total, 1)) : 0;
        stream.write(`\r${label} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}] ${tail}`);
        open = true;
        return;
      }
      const quarter = total ? Math.floor((4 * done) / total) : lastQuarter + 1;
      if (quarter > lastQuarter && (!total || done < total)) stream.write(`${label} ${tail}\n`);
      lastQuarter = Math.max(lastQuarter, quarter);
    },
    finish(summary) {
      if (open) stream.write('\n');
      open = false;
      stream.write(`${label} done: ${summary} (${seconds(Date.now() - start)})\n`);
    },
  };
}
