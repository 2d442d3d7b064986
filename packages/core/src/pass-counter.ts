/**
 * Counts the passes a training step makes, so cost can be reported and tested
 * (docs/strategies/README.md, Cost in passes). A full pass runs the whole network; a layer-one pass runs
 * only the first layer (YOPO's inner loop).
 */
export interface PassCount {
  /** Full forward passes. */
  forward: number;
  /** Full backward passes (any gradient: input-only or parameters). */
  backward: number;
  /** Forward passes through layer one only. */
  layerOneForward: number;
  /** Backward passes through layer one only. */
  layerOneBackward: number;
  /** Optimizer steps taken. */
  optimizerSteps: number;
}

/** Counts a step's passes by kind; the trainer creates one per step (`ctx.passes`) and reports its snapshot. */
export class PassCounter {
  private count: PassCount = emptyCount();

  /** Adds `n` passes of one kind. */
  record(kind: keyof PassCount, n = 1): void {
    this.count[kind] += n;
  }

  /** The counts so far, frozen. */
  snapshot(): Readonly<PassCount> {
    return Object.freeze({ ...this.count });
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.count = emptyCount();
  }
}

/** A {@link PassCount} with every count at zero. */
export function emptyCount(): PassCount {
  return { forward: 0, backward: 0, layerOneForward: 0, layerOneBackward: 0, optimizerSteps: 0 };
}
