/** Where progress goes; a TTY gets a bar redrawn in place, anything else plain lines. */
export interface ProgressStream {
  /** Writes `text` as is (no newline added). */
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A progress display: a bar redrawn in place on a TTY, plain lines elsewhere. */
export interface Progress {
  /** Shows progress within an epoch; `total` is null when the number of minibatches is unknown. */
  step(epoch: number, done: number, total: number | null, loss: number): void;
  /** Ends an epoch's line with its summary. */
  epoch(epoch: number, epochs: number, summary: string): void;
  /** Prints a line of its own. */
  message(text: string): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Progress for the loop: on a TTY a bar (`epoch 1/2 [#####·····] 30/60 loss 0.531 4.2 s`)
 * redrawn with `\r`; otherwise one plain line every `linesPerEpoch`-th of an epoch.
 */
export function createProgress(options: { stream?: ProgressStream; epochs: number; linesPerEpoch?: number; label?: string } ): Progress {
  const stream = options.stream ?? process.stdout;
  const tty = stream.isTTY === true;
  const every = Math.max(1, options.linesPerEpoch ?? 4);
  const label = options.label ? `${options.label} ` : '';
  const start = Date.now();
  let lastLine = -1;
  let open = false;
  const finishLine = () => { if (open) { stream.write('\n'); open = false; } };
  return {
    step(epoch, done, total, loss) {
      const head = `${label}epoch ${epoch + 1}/${options.epochs}`;
      if (total === null) {
        // No bar without a total: a TTY shows the count redrawn in place; plain output waits for the epoch's line.
        if (tty) {
          stream.write(`\r${head} step ${done} loss ${loss.toFixed(3)} ${seconds(Date.now() - start)}`);
          open = true;
        }
        return;
      }
      const tail = `${done}/${total} loss ${loss.toFixed(3)} ${seconds(Date.now() - start)}`;
      if (tty) {
        const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - head.length - tail.length - 6));
        const filled = Math.round((width * done) / Math.max(total, 1));
        stream.write(`\r${head} [${'#'.repeat(filled)}${'·'.repeat(width - filled)}] ${tail}`);
        open = true;
        return;
      }
      const bucket = Math.floor((every * done) / Math.max(total, 1));
      if (bucket !== lastLine && (bucket > 0 || done === 1)) {
        lastLine = bucket;
        if (done < total) stream.write(`${head} ${tail}\n`);
      }
    },
    epoch(epoch, epochs, summary) {
      finishLine();
      lastLine = -1;
      stream.write(`${label}epoch ${epoch + 1}/${epochs} done: ${summary} (${seconds(Date.now() - start)})\n`);
    },
    message(text) {
      finishLine();
      stream.write(`${text}\n`);
    },
  };
}
