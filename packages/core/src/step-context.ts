import type { StepContext } from './contract.js';
import { AdvtrainError } from './errors.js';
import type { GradMap } from './grad-map.js';
import { defaultLoss, type LossFn } from './losses.js';
import { PassCounter } from './pass-counter.js';
import type { Batch, ModelView } from './views/types.js';

/** What {@link createStepContext} builds a {@link StepContext} from. */
export interface StepContextParts {
  readonly view: ModelView;
  readonly batch: Batch;
  /** Task loss. Default `defaultLoss` (mean softmax cross-entropy). */
  readonly loss?: LossFn;
  /** Counter the strategy records its passes in. Default a fresh `PassCounter`. */
  readonly passes?: PassCounter;
  /** Index of the minibatch in the run. Default 0. */
  readonly step?: number;
  /** Factor on the threat model's radii and step sizes. Absent or null: the context carries none (scale 1). */
  readonly epsilonScale?: number | null;
  /**
   * Takes one optimizer step. Absent: the context cannot step the optimizer,
   * and a strategy that tries throws `ADVTRAIN_UNSUPPORTED` with `refusal`.
   */
  readonly applyGradients?: (grads: GradMap) => void;
  /** Message of the error thrown when a context without `applyGradients` is asked to step the optimizer. */
  readonly refusal?: string;
}

const DEFAULT_REFUSAL = '@advtrain/core: this step context cannot step the optimizer; '
  + 'strategies that step the optimizer themselves run inside a Trainer.';

/**
 * Builds the {@link StepContext} a strategy's `innerMax` and `outerMin`
 * receive. The Trainer, `inspectStep` and evaluation all build theirs here,
 * so every field has one default: the default loss, a fresh pass counter,
 * step 0, no ε scale, and an `applyGradients` that refuses unless one is given.
 *
 * ```ts
 * const ctx = createStepContext({ view, batch });
 * const inner = strategy.innerMax(ctx, strategy.init({ view, seed: 0 }));
 * ```
 */
export function createStepContext(parts: StepContextParts): StepContext {
  const { view, batch, loss = defaultLoss, passes = new PassCounter(), step = 0, epsilonScale = null } = parts;
  const refusal = parts.refusal ?? DEFAULT_REFUSAL;
  const applyGradients = parts.applyGradients ?? ((): void => {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED', refusal);
  });
  return {
    view, batch, loss, passes, step,
    ...(epsilonScale === null ? {} : { epsilonScale }),
    applyGradients,
  };
}
