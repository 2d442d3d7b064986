import {
  SPEC_VERSION, type Capabilities, type InitContext, type InnerResult, type OuterResult,
  type PerturbationStrategy, type SerializedState, type StepContext,
} from './contract.js';
import { AdvtrainError, describeValue } from './errors.js';
import { restoreRng, type RngState } from './random.js';
import { disposeExcept, scoped, tensorsIn } from './tensor-tree.js';

/**
 * What most strategies declare: δ keeps x + δ in the valid range, the trainer
 * steps the optimizer once per minibatch, no layer-one split, fresh dropout masks.
 */
export const CAPABILITY_DEFAULTS = Object.freeze({
  respectsValidRange: true,
  stepsOptimizer: false,
  optimizerStepsPerBatch: 1,
  needsLayerOne: false,
  dropout: 'fresh',
} as const satisfies Partial<Capabilities>);

/**
 * The capabilities a definition states: sites, threat model and full passes
 * always; layer-one passes (default 0) and the rest only where they differ
 * from {@link CAPABILITY_DEFAULTS}.
 */
export type CapabilityDeclaration = Pick<Capabilities, 'sites' | 'threat'>
  & Partial<Omit<Capabilities, 'sites' | 'threat' | 'passesPerBatch'>>
  & { readonly passesPerBatch: { readonly full: number; readonly layerOne?: number } };

/** Full capabilities from a declaration and {@link CAPABILITY_DEFAULTS}. */
export function declareCapabilities(declared: CapabilityDeclaration): Capabilities {
  const { passesPerBatch, ...rest } = declared;
  return Object.freeze({ ...CAPABILITY_DEFAULTS, ...rest,
    passesPerBatch: Object.freeze({ full: passesPerBatch.full, layerOne: passesPerBatch.layerOne ?? 0 }) });
}

/**
 * The outer min of strategies whose inner max already formed what the
 * optimizer receives (FreeLB, YOPO): the inner loss and gradients, handed over.
 */
export function handOver<State>(name: string, inner: InnerResult<State>): OuterResult<State> {
  if (!inner.loss || !inner.grads) {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      `@advtrain/${name}: the inner max returned no ${inner.loss ? 'gradients' : 'loss'}, so the outer min has nothing to hand over; define outerMin.`);
  }
  return { loss: inner.loss, grads: inner.grads, state: inner.state };
}

/** What a strategy package writes; `defineStrategy` adds the chores. */
export interface StrategyDefinition<Opts, State> {
  /** Package suffix, e.g. `'pgd'`. */
  readonly name: string;
  /** Spec version the strategy was written against. Default: core's. */
  readonly specVersion?: number;
  /** Validated options with defaults filled in (see `checkOptions`). */
  readonly options: Readonly<Opts>;
  /** What the strategy supports and costs, as data; unstated fields take {@link CAPABILITY_DEFAULTS}. */
  readonly capabilities: CapabilityDeclaration;
  /** Builds the state of a run; see {@link PerturbationStrategy.init}. */
  init(ctx: InitContext): State;
  /** Finds δ with the weights held constant; runs inside a named `tf.tidy` scope. */
  innerMax(ctx: StepContext, state: State): InnerResult<State>;
  /**
   * Returns the loss and the weight gradients; runs inside a named `tf.tidy` scope.
   * Default: {@link handOver} the inner max's loss and gradients.
   */
  outerMin?(ctx: StepContext, inner: InnerResult<State>): OuterResult<State>;
  /**
   * The state is `{ rng }`, a seeded stream and nothing else: checkpoints save
   * it, and restore checks it with `restoreRng`. Leave out `serializeState`
   * and `restoreState` when set.
   */
  readonly rngState?: boolean;
  /** JSON-safe data of the state; may read tensors with `await t.data()`. Default: stateless (null), or the stream with `rngState`. */
  serializeState?(state: State): Promise<unknown>;
  /** Inverse of `serializeState`. Required when `serializeState` is given. */
  restoreState?(data: unknown, ctx: InitContext): State;
}

/**
 * Turns a definition into a {@link PerturbationStrategy}: checks the spec
 * version, fills in the default capabilities and outer min, runs each
 * lifecycle method in a named `tf.tidy` scope, frees the tensors a step
 * replaces (old state, the inner result), and adds serialization and `toString`.
 */
export function defineStrategy<Opts, State>(def: StrategyDefinition<Opts, State>): PerturbationStrategy<Opts, State> {
  const version = def.specVersion ?? SPEC_VERSION;
  if (version !== SPEC_VERSION) {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      `@advtrain/${def.name} was written for strategy spec ${version}, but the installed @advtrain/core implements spec ${SPEC_VERSION}; install matching versions.`);
  }
  if (def.rngState && (def.serializeState || def.restoreState)) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `@advtrain/${def.name}: give either rngState or serializeState/restoreState, not both.`);
  }
  const pkg = `@advtrain/${def.name}`;
  const serializeState = def.rngState ? async (state: State) => ({ rng: (state as { rng: RngState }).rng }) : def.serializeState;
  const restoreState = def.rngState ? (data: unknown) => ({ rng: restoreRng(pkg, data) }) as State : def.restoreState;
  const outerMin = def.outerMin ?? ((_ctx: StepContext, inner: InnerResult<State>) => handOver(def.name, inner));
  const strategy: PerturbationStrategy<Opts, State> = {
    name: def.name,
    specVersion: SPEC_VERSION,
    options: def.options,
    capabilities: declareCapabilities(def.capabilities),
    init: (ctx) => def.init(ctx),
    innerMax(ctx, state) {
      const result = scoped(`${def.name}.innerMax`, () => def.innerMax(ctx, state));
      disposeExcept(state, result);
      return result;
    },
    outerMin(ctx, inner) {
      const result = scoped(`${def.name}.outerMin`, () => outerMin(ctx, inner));
      disposeExcept(inner, result);
      return result;
    },
    dispose(state) {
      for (const t of tensorsIn(state)) if (!t.isDisposed) t.dispose();
    },
    async serialize(state): Promise<SerializedState> {
      const data = serializeState ? await serializeState(state) : null;
      return { strategy: def.name, specVersion: SPEC_VERSION, data };
    },
    restore(saved, ctx) {
      if (saved?.strategy !== def.name || saved.specVersion !== SPEC_VERSION) {
        throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
          `@advtrain/${def.name}: cannot restore state saved by ${describeValue(saved?.strategy)} (spec ${describeValue(saved?.specVersion)}); expected "${def.name}" (spec ${SPEC_VERSION}).`);
      }
      if (!restoreState) return def.init(ctx);
      return restoreState(saved.data, ctx);
    },
    toString: () => `${def.name}(${formatOptions(def.options)})`,
  };
  return Object.freeze(strategy);
}

function formatOptions(options: unknown): string {
  return Object.entries(options as Record<string, unknown>)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
}
