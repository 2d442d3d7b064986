import * as tf from '@tensorflow/tfjs-core';
import { DropoutControl } from '../dropout.js';
import { AdvtrainError } from '../errors.js';
import { checkOptions } from '../options.js';
import { forwardContext, injectCostate, perturbInput, preserving, tokenMask, uniqueVariables } from './shared.js';
import type { Batch, ForwardContext, ForwardOptions, LayerOneSplit, ModelView } from './types.js';

type Fn = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

interface CommonSpec {
  /** Trainable variables. A record is flattened in key order. */
  readonly variables: readonly tf.Variable[] | Readonly<Record<string, tf.Variable>>;
  /** Non-trainable statistics (batch-norm moving averages) that attack passes may restore. */
  readonly statistics?: readonly tf.Variable[];
}

/** A model perturbed at its input: either one `forward`, or `layerOne` then `rest` (YOPO). */
export interface InputModelSpec extends CommonSpec {
  readonly site?: 'input';
  readonly forward?: Fn;
  readonly layerOne?: { readonly variables: readonly tf.Variable[]; readonly forward: Fn };
  readonly rest?: Fn;
  /** Valid range of the input (e.g. [0, 1] for pixels); null for none. Default null. */
  readonly validRange?: readonly [number, number] | null;
  /** Shape of x, batch dimension first (null for any size), e.g. [null, 784]; batches are checked against it. Default null. */
  readonly inputShape?: readonly (number | null)[] | null;
  /** Number of classes (logits), for label checks. Default null (learned from the first loss). */
  readonly classes?: number | null;
}

/** A text model perturbed at the output of its embedding lookup. */
export interface EmbeddingModelSpec extends CommonSpec {
  readonly site: 'embedding';
  /** Token ids [B, T] → embeddings [B, T, H]; called inside every pass, so the table gets gradient. */
  readonly embed: (ids: tf.Tensor) => tf.Tensor;
  /** Embeddings (+ δ) → logits. `ctx.mask` holds the attention mask. */
  readonly head: Fn;
  /** Hidden size H; saves one lookup when δ's shape is first needed. */
  readonly hiddenSize?: number;
  /** Token id of padding, used for the mask when the batch has none. Default null (all tokens real). */
  readonly padId?: number | null;
  /** Number of classes (logits), for label checks. Default null (learned from the first loss). */
  readonly classes?: number | null;
}

/**
 * Wraps plain functions over `tf.Variable`s as a {@link ModelView}.
 *
 * ```ts
 * const view = functionModel({ variables: [w, b], validRange: [0, 1],
 *   forward: (x) => tf.add(tf.matMul(x, w), b) });
 * ```
 */
export function functionModel(spec: InputModelSpec | EmbeddingModelSpec): ModelView {
  checkSpec(spec);
  const variables = uniqueVariables('functionModel()',
    Array.isArray(spec.variables) ? spec.variables : Object.values(spec.variables));
  const stats = spec.statistics ?? [];
  const dropout = new DropoutControl();
  const preservingStatistics = <T>(fn: () => T): T => preserving(stats, fn);
  if (spec.site === 'embedding') return embeddingView(spec, variables, dropout, preservingStatistics);
  return inputView(spec, variables, dropout, preservingStatistics);
}

const PKG = '@advtrain/core: functionModel()';
const COMMON = { variables: undefined, statistics: undefined, classes: null };
const INPUT_DEFAULTS = { ...COMMON, site: 'input', forward: undefined, layerOne: undefined, rest: undefined, validRange: null, inputShape: null };
const EMBEDDING_DEFAULTS = { ...COMMON, site: 'embedding', embed: undefined, head: undefined, hiddenSize: undefined, padId: null };

/** Checks the spec like strategy options: unknown keys (with a suggestion), types and the valid range's order. */
function checkSpec(spec: unknown): void {
  const embedding = typeof spec === 'object' && spec !== null && (spec as { site?: unknown }).site === 'embedding';
  const c = checkOptions<Record<string, unknown>>(PKG, spec, embedding ? EMBEDDING_DEFAULTS : INPUT_DEFAULTS).oneOf('site', ['input', 'embedding']);
  const v = c.values;
  const isVariable = (x: unknown) => x instanceof tf.Variable;
  const vars = v['variables'];
  if (!(Array.isArray(vars) ? vars.every(isVariable) : typeof vars === 'object' && vars !== null && Object.values(vars).every(isVariable))) {
    c.fail('variables', 'an array (or a record) of tf.Variable');
  }
  if (v['classes'] !== null) c.integer('classes', { min: 1 });
  const fn = (name: string) => { if (v[name] !== undefined && typeof v[name] !== 'function') c.fail(name, 'a function'); };
  if (embedding) {
    ['embed', 'head'].forEach(fn);
    if (typeof v['embed'] !== 'function') c.fail('embed', 'a function (ids) => embeddings');
    if (typeof v['head'] !== 'function') c.fail('head', 'a function (embeddings, ctx) => logits');
    if (v['hiddenSize'] !== undefined) c.integer('hiddenSize', { min: 1 });
    if (v['padId'] !== null) c.integer('padId', { min: 0 });
    return;
  }
  ['forward', 'rest'].forEach(fn);
  c.range('validRange');
  const shape = v['inputShape'];
  if (shape !== null && !(Array.isArray(shape) && shape.length >= 1 && shape.every((d) => d === null || (Number.isInteger(d) && d > 0)))) {
    c.fail('inputShape', 'null or a shape such as [null, 784] (null for any size)');
  }
}

function inputView(spec: InputModelSpec, variables: tf.Variable[], dropout: DropoutControl,
  preservingStatistics: ModelView['preservingStatistics']): ModelView {
  const range = spec.validRange ?? null;
  const split = spec.layerOne;
  if (!spec.forward && !(split && spec.rest)) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      '@advtrain/core: functionModel() needs either "forward", or both "layerOne" and "rest".');
  }
  const ctxOf = (training: boolean) => forwardContext(training, null, dropout);
  const layerOne: LayerOneSplit | null = split ? {
    variables: split.variables,
    forward(batch, delta, options = {}) {
      const training = options.training ?? true;
      return split.forward(perturbInput(batch.x, delta, range, options), ctxOf(training));
    },
  } : null;
  return {
    site: 'input',
    variables,
    validRange: range,
    dropout,
    layerOne,
    preservingStatistics,
    inputShape: spec.inputShape ?? null,
    classes: spec.classes ?? null,
    siteShape: (batch: Batch) => [...batch.x.shape],
    siteMask: () => null,
    forward(batch, delta, options: ForwardOptions = {}) {
      const training = options.training ?? true;
      dropout.beginPass();
      const input = perturbInput(batch.x, delta, range, options);
      const ctx = ctxOf(training);
      if (split && spec.rest) {
        const z0 = split.forward(input, ctx);
        const z = options.layerOneCostate ? injectCostate(z0, options.layerOneCostate) : z0;
        return spec.rest(options.layerOneTap ? tf.add(z, options.layerOneTap) : z, ctx);
      }
      if (options.layerOneTap || options.layerOneCostate) {
        throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
          '@advtrain/core: this view has no layer-one split; give functionModel() "layerOne" and "rest".');
      }
      return (spec.forward as Fn)(input, ctx);
    },
  };
}

function embeddingView(spec: EmbeddingModelSpec, variables: tf.Variable[], dropout: DropoutControl,
  preservingStatistics: ModelView['preservingStatistics']): ModelView {
  const padId = spec.padId ?? null;
  let hidden = spec.hiddenSize ?? null;
  return {
    site: 'embedding',
    variables,
    validRange: null,
    dropout,
    layerOne: null,
    preservingStatistics,
    classes: spec.classes ?? null,
    siteShape(batch) {
      if (hidden === null) {
        const e = spec.embed(batch.x);
        hidden = e.shape[e.rank - 1] as number;
        e.dispose();
      }
      return [...batch.x.shape, hidden];
    },
    siteMask: (batch) => tokenMask(batch, padId),
    forward(batch, delta, options = {}) {
      const training = options.training ?? true;
      dropout.beginPass();
      const e = spec.embed(batch.x);
      const mask = tokenMask(batch, padId);
      return spec.head(delta ? tf.add(e, delta) : e, forwardContext(training, mask, dropout));
    },
  };
}
