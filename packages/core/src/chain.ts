import * as tf from '@tensorflow/tfjs-core';
import {
  SPEC_VERSION, type AnyStrategy, type Capabilities, type InnerResult, type PerturbationStrategy,
  type SerializedState,
} from './contract.js';
import { AdvtrainError } from './errors.js';
import { sumGrads, type GradMap } from './grad-map.js';
import { scoped } from './tensor-tree.js';
import type { PerturbationSite } from './views/types.js';

type ChainState = readonly unknown[];

/** Inner result of a chain: one inner result per member, in order. */
export interface ChainInnerResult extends InnerResult<ChainState> {
  readonly members: readonly InnerResult<unknown>[];
}

/**
 * Composes strategies into one (the only combinator, as Optax's `chain`).
 *
 * Semantics, for one minibatch and parameters θ:
 * 1. every member runs its inner max in order, each from its own state, all at the same θ;
 * 2. every member runs its outer min on its own inner result, still at the same θ;
 * 3. the chain's loss is the sum of the members' losses and its gradient map is the
 *    sum of their gradient maps, so the optimizer takes one step on Σ ∇θ Lᵢ;
 * 4. the state is the tuple of member states.
 *
 * So `chain(pgd(...), smartRegularizer(...))` trains on the PGD loss plus the
 * SMART term. A member that steps the optimizer itself (FreeAT) cannot be
 * chained, because the others would see moved parameters.
 */
export function chain(...members: AnyStrategy[]): PerturbationStrategy<{ members: string[] }, ChainState> {
  if (members.length === 0) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT', '@advtrain/core: chain() needs at least one strategy (received none).');
  }
  for (const m of members) {
    if (typeof m?.innerMax !== 'function' || m.specVersion !== SPEC_VERSION) {
      throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
        `@advtrain/core: chain() takes strategies of spec ${SPEC_VERSION} (received ${String(m)}).`);
    }
    if (m.capabilities.stepsOptimizer) {
      throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
        `@advtrain/core: chain() cannot include "${m.name}", because it steps the optimizer itself; the other members would see moved parameters.`);
    }
  }
  const caps = members.map((m) => m.capabilities);
  const sites = (['input', 'embedding'] as PerturbationSite[]).filter((s) => caps.every((c) => c.sites.includes(s)));
  if (sites.length === 0) {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      `@advtrain/core: chain() members share no perturbation site (${members.map((m) => `${m.name}: ${m.capabilities.sites.join('/')}`).join(', ')}).`);
  }
  const capabilities: Capabilities = Object.freeze({
    sites,
    threat: { norm: 'none' as const, epsilon: null },
    respectsValidRange: caps.every((c) => c.respectsValidRange),
    stepsOptimizer: false,
    optimizerStepsPerBatch: 1,
    needsLayerOne: caps.some((c) => c.needsLayerOne),
    dropout: caps.some((c) => c.dropout === 'frozen') ? 'frozen' : 'fresh',
    passesPerBatch: {
      full: caps.reduce((n, c) => n + c.passesPerBatch.full, 0),
      layerOne: caps.reduce((n, c) => n + c.passesPerBatch.layerOne, 0),
    },
  });
  const name = `chain(${members.map((m) => m.name).join(', ')})`;
  const strategy: PerturbationStrategy<{ members: string[] }, ChainState> = {
    name,
    specVersion: SPEC_VERSION,
    options: Object.freeze({ members: members.map((m) => m.toString()) }),
    capabilities,
    init: (ctx) => members.map((m) => m.init(ctx)),
    innerMax(ctx, state): ChainInnerResult {
      const inner = members.map((m, i) => m.innerMax(ctx, state[i]));
      return { delta: null, state: inner.map((r) => r.state), members: inner };
    },
    outerMin(ctx, inner) {
      const parts = members.map((m, i) => m.outerMin(ctx, (inner as ChainInnerResult).members[i] as InnerResult<unknown>));
      const result = scoped('chain.outerMin', () => ({
        loss: tf.addN(parts.map((p) => p.loss)) as tf.Scalar,
        grads: sumGrads(parts.map((p) => p.grads ?? {})) as GradMap,
      }));
      for (const p of parts) {
        p.loss.dispose();
        for (const g of Object.values(p.grads ?? {})) g.dispose();
      }
      return { ...result, state: parts.map((p) => p.state) };
    },
    dispose: (state) => members.forEach((m, i) => m.dispose(state[i])),
    async serialize(state): Promise<SerializedState> {
      const data = await Promise.all(members.map((m, i) => m.serialize(state[i])));
      return { strategy: name, specVersion: SPEC_VERSION, data };
    },
    restore(saved, ctx) {
      if (saved?.strategy !== name || !Array.isArray(saved.data) || saved.data.length !== members.length) {
        throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
          `@advtrain/core: cannot restore state saved by "${String(saved?.strategy)}" into "${name}".`);
      }
      return members.map((m, i) => m.restore((saved.data as SerializedState[])[i] as SerializedState, ctx));
    },
    toString: () => name,
  };
  return Object.freeze(strategy);
}
