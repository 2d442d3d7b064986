import type * as tf from '@tensorflow/tfjs-core';
import type { DropoutPolicy } from './dropout.js';
import type { GradMap } from './grad-map.js';
import type { LossFn } from './losses.js';
import type { PassCounter } from './pass-counter.js';
import type { Batch, ModelView, PerturbationSite } from './views/types.js';

/** Version of the lifecycle below. It changes only with a major release of core. */
export const SPEC_VERSION = 1 as const;

/** The ball δ is promised to stay in; the conformance kit checks it. */
export interface ThreatModel {
  /** `'linf'`/`'l2'` per example, `'token-linf'` per token, `'none'` for no promise (e.g. unbounded FreeLB). */
  readonly norm: 'linf' | 'l2' | 'token-linf' | 'none';
  /** Radius; null when unbounded. */
  readonly epsilon: number | null;
}

/** What a strategy declares about itself, as data (checked by `chain` and the kit). */
export interface Capabilities {
  /** Which perturbation sites it supports. */
  readonly sites: readonly PerturbationSite[];
  readonly threat: ThreatModel;
  /** x + δ stays in the view's valid range. */
  readonly respectsValidRange: boolean;
  /** It calls `ctx.applyGradients` itself (FreeAT) and returns no gradients. */
  readonly stepsOptimizer: boolean;
  /** Optimizer steps per minibatch (FreeAT's m); used to divide epochs. */
  readonly optimizerStepsPerBatch: number;
  /** It needs the view's layer-one split (YOPO). */
  readonly needsLayerOne: boolean;
  /** Dropout policy of its passes. */
  readonly dropout: DropoutPolicy;
  /** Full passes per minibatch by the method's own accounting (docs/strategies/README.md, Cost in passes). */
  readonly passesPerBatch: { readonly full: number; readonly layerOne: number };
}

/** Everything one training step gives a strategy. */
export interface StepContext {
  readonly view: ModelView;
  readonly batch: Batch;
  /** The task loss (mean over the batch unless the app chose otherwise). */
  readonly loss: LossFn;
  readonly passes: PassCounter;
  /** Index of this minibatch in the run, from 0. */
  readonly step: number;
  /**
   * Factor on every radius and step size of the threat model this step (an ε
   * ramp-up; see `TrainerSetup.schedules`). Absent means 1. Strategies read it
   * through `epsilonScaleOf(ctx)`.
   */
  readonly epsilonScale?: number;
  /** Takes one optimizer step with `grads` (counted in `passes`). Only strategies that declare `stepsOptimizer` call it. */
  applyGradients(grads: GradMap): void;
}

/** What `init` receives. */
export interface InitContext {
  readonly view: ModelView;
  /** Seed of the run; strategies that draw random numbers keep an RngState derived from it. */
  readonly seed: number;
}

/** Result of the inner max. Tensors here belong to the step and are freed after `outerMin`. */
export interface InnerResult<State> {
  /** The perturbation found (null for strategies that do not perturb). */
  readonly delta: tf.Tensor | null;
  /** Parameter gradients already accumulated during the inner passes (FreeLB, YOPO), if any. */
  readonly grads?: GradMap | null;
  /** Loss seen during the inner max, if any (for logging). */
  readonly loss?: tf.Scalar | null;
  /** Anything else the outer min needs (e.g. clean logits). Tensors inside are freed with the step. */
  readonly extras?: Readonly<Record<string, tf.Tensor | null>>;
  readonly state: State;
}

/** Result of the outer min: what the optimizer receives. */
export interface OuterResult<State> {
  /** The training loss of this step (for logging). */
  readonly loss: tf.Scalar;
  /** Gradients for one optimizer step, or null when the strategy stepped the optimizer itself. */
  readonly grads: GradMap | null;
  readonly state: State;
}

/** JSON-safe form of a strategy's state (checkpoints). */
export interface SerializedState {
  readonly strategy: string;
  readonly specVersion: typeof SPEC_VERSION;
  readonly data: unknown;
}

/**
 * An adversarial-training method: an inner max that finds δ with θ held
 * constant, and an outer min that decides what the optimizer receives. State
 * is explicit: it is returned, never stored on the strategy (Optax style).
 */
export interface PerturbationStrategy<Opts = unknown, State = unknown> {
  /** Package suffix, e.g. `'pgd'`. */
  readonly name: string;
  readonly specVersion: typeof SPEC_VERSION;
  /** Validated options with defaults filled in. */
  readonly options: Readonly<Opts>;
  /** What the strategy supports and costs, as data (sites, threat model, passes per minibatch, …). */
  readonly capabilities: Capabilities;
  /** Builds the state of a run (once, before the first step; seeded from `ctx.seed`). */
  init(ctx: InitContext): State;
  /** Finds the perturbation δ for `ctx.batch` with the weights held constant. */
  innerMax(ctx: StepContext, state: State): InnerResult<State>;
  /** Decides what the optimizer receives: the loss and the weight gradients (null when the strategy stepped the optimizer itself). */
  outerMin(ctx: StepContext, inner: InnerResult<State>): OuterResult<State>;
  /** Frees every tensor held by `state`. */
  dispose(state: State): void;
  /** Checkpoint support: reads tensors asynchronously, so it is safe on WebGPU. */
  serialize(state: State): Promise<SerializedState>;
  /** Rebuilds a state from `serialize`'s output (checks the strategy name and spec version). */
  restore(data: SerializedState, ctx: InitContext): State;
  /** `name(option=value, …)`, for logs. */
  toString(): string;
}

/** Any strategy, whatever its options and state. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStrategy = PerturbationStrategy<any, any>;
