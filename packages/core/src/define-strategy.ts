import {
  SPEC_VERSION, type Capabilities, type InitContext, type InnerResult, type OuterResult,
  type PerturbationStrategy, type SerializedState, type StepContext,
} from './contract.js';
import { AdvtrainError, describeValue } from './errors.js';
import { disposeExcept, scoped, tensorsIn } from './tensor-tree.js';

/** What a strategy package writes; `defineStrategy` adds the chores. */
export interface StrategyDefinition<Opts, State> {
  /** Package suffix, e.g. `'pgd'`. */
  readonly name: string;
  /** Spec version the strategy was written against. Default: core's. */
  readonly specVersion?: number;
  /** Validated options with defaults filled in (see `checkOptions`). */
  readonly options: Readonly<Opts>;
  /** What the strategy supports and costs, as data. */
  readonly capabilities: Capabilities;
  /** Builds the state of a run; see {@link PerturbationStrategy.init}. */
  init(ctx: InitContext): State;
  /** Finds δ with the weights held constant; runs inside a named `tf.tidy` scope. */
  innerMax(ctx: StepContext, state: State): InnerResult<State>;
  /** Returns the loss and the weight gradients; runs inside a named `tf.tidy` scope. */
  outerMin(ctx: StepContext, inner: InnerResult<State>): OuterResult<State>;
  /** JSON-safe data of the state; may read tensors with `await t.data()`. Default: stateless (null). */
  serializeState?(state: State): Promise<unknown>;
  /** Inverse of `serializeState`. Required when `serializeState` is given. */
  restoreState?(data: unknown, ctx: InitContext): State;
}

/**
 * Turns a definition into a {@link PerturbationStrategy}: checks the spec
 * version, runs each lifecycle method in a named `tf.tidy` scope, frees the
 * tensors a step replaces (old state, the inner result), and adds
 * serialization and `toString`.
 */
export function defineStrategy<Opts, State>(def: StrategyDefinition<Opts, State>): PerturbationStrategy<Opts, State> {
  const version = def.specVersion ?? SPEC_VERSION;
  if (version !== SPEC_VERSION) {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      `@advtrain/${def.name} was written for strategy spec ${version}, but the installed @advtrain/core implements spec ${SPEC_VERSION}; install matching versions.`);
  }
  const strategy: PerturbationStrategy<Opts, State> = {
    name: def.name,
    specVersion: SPEC_VERSION,
    options: def.options,
    capabilities: Object.freeze({ ...def.capabilities }),
    init: (ctx) => def.init(ctx),
    innerMax(ctx, state) {
      const result = scoped(`${def.name}.innerMax`, () => def.innerMax(ctx, state));
      disposeExcept(state, result);
      return result;
    },
    outerMin(ctx, inner) {
      const result = scoped(`${def.name}.outerMin`, () => def.outerMin(ctx, inner));
      disposeExcept(inner, result);
      return result;
    },
    dispose(state) {
      for (const t of tensorsIn(state)) if (!t.isDisposed) t.dispose();
    },
    async serialize(state): Promise<SerializedState> {
      const data = def.serializeState ? await def.serializeState(state) : null;
      return { strategy: def.name, specVersion: SPEC_VERSION, data };
    },
    restore(saved, ctx) {
      if (saved?.strategy !== def.name || saved.specVersion !== SPEC_VERSION) {
        throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
          `@advtrain/${def.name}: cannot restore state saved by ${describeValue(saved?.strategy)} (spec ${describeValue(saved?.specVersion)}); expected "${def.name}" (spec ${SPEC_VERSION}).`);
      }
      if (!def.restoreState) return def.init(ctx);
      return def.restoreState(saved.data, ctx);
    },
    toString: () => `${def.name}(${formatOptions(def.options)})`,
  };
  return Object.freeze(strategy);
}

function formatOptions(options: unknown): string {
  return Object.entries(options as Record<string, unknown>)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
}
