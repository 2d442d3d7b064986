import * as tf from '@tensorflow/tfjs-core';
import { DropoutControl } from '../dropout.js';
import { AdvtrainError, describeValue } from '../errors.js';
import { checkOptions } from '../options.js';
import { injectCostate, perturbInput, preserving, tokenMask, uniqueVariables } from './shared.js';
import type { Batch, ForwardOptions, LayerOneSplit, ModelView } from './types.js';

/**
 * The parts of `tf.LayersModel` the view uses, typed structurally so core does
 * not depend on `@tensorflow/tfjs-layers` (the app brings it).
 */
export interface LayerVariableLike {
  readonly name: string;
  /** The weight's current value. */
  read(): tf.Tensor;
}
/** The parts of a tfjs-layers `Layer` the view uses. */
export interface LayerLike {
  readonly name: string;
  /** The layer's class name, e.g. `'Embedding'` or `'Dropout'`. */
  getClassName(): string;
  /** The layer's forward computation (the view wraps it to add δ or to control dropout). */
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  /** Runs the layer on `inputs`, recording it in the model graph. */
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): unknown;
  readonly trainableWeights: readonly LayerVariableLike[];
}
/** The parts of a `tf.LayersModel` the view uses. */
export interface LayersModelLike {
  readonly layers: readonly LayerLike[];
  /** Symbolic inputs and outputs (shapes with null batch dimensions), when the model has them. */
  readonly inputs?: ReadonlyArray<{ readonly shape: ReadonlyArray<number | null> }>;
  readonly outputs?: ReadonlyArray<{ readonly shape: ReadonlyArray<number | null> }>;
  readonly trainableWeights: readonly LayerVariableLike[];
  readonly nonTrainableWeights: readonly LayerVariableLike[];
  /** Runs the model on `inputs` (training mode through `kwargs.training`). */
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): unknown;
}

/** Options of {@link layersModelView}. */
export interface LayersModelViewOptions {
  /** `'input'` (default) or `'embedding'`: the output of an Embedding layer. */
  readonly site?: 'input' | 'embedding';
  /** Name of the Embedding layer to perturb; default the first Embedding layer. */
  readonly embeddingLayer?: string;
  /** Valid range of the input for input sites, e.g. [0, 1]; default null. */
  readonly validRange?: readonly [number, number] | null;
  /**
   * Layer one for YOPO: the index in `model.layers` (or the name) of the last
   * layer of f0, e.g. 1 for conv + separate ReLU. f0 must be a chain of layers.
   */
  readonly layerOne?: number | string;
}

type CallFn = LayerLike['call'];

/** Temporarily replaces `layer.call` on the instance; returns the undo. */
function patchCall(layer: LayerLike, make: (original: CallFn) => CallFn): () => void {
  const own = Object.prototype.hasOwnProperty.call(layer, 'call');
  const previous = (layer as { call: CallFn }).call;
  (layer as { call: CallFn }).call = make(previous.bind(layer));
  return () => {
    if (own) (layer as { call: CallFn }).call = previous;
    else delete (layer as { call?: CallFn }).call;
  };
}

function single(t: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(t) ? (t[0] as tf.Tensor) : t;
}

/**
 * A `tf.LayersModel` split at its perturbation site: the input, or the
 * output of an Embedding layer (with its padding mask when `maskZero` is set).
 * Dropout layers are routed through the step's {@link DropoutControl}, so
 * frozen masks work without changing the model.
 */
export function layersModelView(model: LayersModelLike, options: LayersModelViewOptions = {}): ModelView {
  checkModel(model);
  options = checkViewOptions(options);
  const site = options.site ?? 'input';
  const variables = uniqueVariables('layersModelView()', model.trainableWeights.map((w) => w.read() as tf.Variable));
  const stats = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
  const dropout = new DropoutControl();
  const dropoutLayers = model.layers.filter((l) => l.getClassName() === 'Dropout');
  const embedding = site === 'embedding' ? findEmbedding(model, options.embeddingLayer) : null;
  const range = site === 'input' ? options.validRange ?? null : null;
  const lastOfLayerOne = options.layerOne === undefined ? null : resolveLayerIndex(model, options.layerOne);

  const run = <T>(training: boolean, patches: Array<() => () => void>, fn: () => T): T => {
    dropout.beginPass();
    const undo = [
      ...dropoutLayers.map((layer) => patchCall(layer, () => (inputs) => dropout.apply(single(inputs),
        (layer as unknown as { rate: number }).rate, training,
        (layer as unknown as { noiseShape?: number[] }).noiseShape ?? undefined))),
      ...patches.map((p) => p()),
    ];
    try {
      return fn();
    } finally {
      undo.reverse().forEach((u) => u());
    }
  };

  const layerOne: LayerOneSplit | null = lastOfLayerOne === null ? null : {
    variables: uniqueVariables('layersModelView()', model.layers.slice(0, lastOfLayerOne + 1)
      .flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable))),
    forward(batch, delta, opts = {}) {
      const training = opts.training ?? true;
      return run(training, [], () => model.layers.slice(0, lastOfLayerOne + 1)
        .reduce<tf.Tensor>((t, layer) => layer.apply(t, { training }) as tf.Tensor,
          perturbInput(batch.x, delta, range, opts)));
    },
  };

  const input = model.inputs?.length === 1 ? model.inputs[0]?.shape : undefined;
  const output = model.outputs?.length === 1 ? model.outputs[0]?.shape : undefined;
  const classes = output && output.length >= 2 ? output[output.length - 1] : null;
  return {
    site,
    variables,
    validRange: range,
    dropout,
    layerOne,
    inputShape: input ? [...input] : null,
    classes: typeof classes === 'number' ? classes : null,
    preservingStatistics: (fn) => preserving(stats, fn),
    siteShape(batch: Batch) {
      if (!embedding) return [...batch.x.shape];
      return [...batch.x.shape, (embedding as unknown as { outputDim: number }).outputDim];
    },
    siteMask(batch) {
      if (!embedding) return null;
      return tokenMask(batch, (embedding as unknown as { maskZero?: boolean }).maskZero ? 0 : null);
    },
    forward(batch, delta, opts: ForwardOptions = {}) {
      const training = opts.training ?? true;
      const patches: Array<() => () => void> = [];
      if (embedding && delta) {
        patches.push(() => patchCall(embedding, (original) => (inputs, kwargs) =>
          tf.add(single(original(inputs, kwargs)), delta)));
      }
      if (opts.layerOneTap || opts.layerOneCostate) {
        if (lastOfLayerOne === null) {
          throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
            '@advtrain/core: this view has no layer-one split; pass { layerOne } to layersModelView().');
        }
        const { layerOneTap: tap, layerOneCostate: costate } = opts;
        patches.push(() => patchCall(model.layers[lastOfLayerOne] as LayerLike, (original) => (inputs, kwargs) => {
          const z = single(original(inputs, kwargs));
          const injected = costate ? injectCostate(z, costate) : z;
          return tap ? tf.add(injected, tap) : injected;
        }));
      }
      const input = embedding ? batch.x : perturbInput(batch.x, delta, range, opts);
      return run(training, patches, () => single(model.apply(input, { training }) as tf.Tensor | tf.Tensor[]));
    },
  };
}

const PKG = '@advtrain/core: layersModelView()';
const VIEW_DEFAULTS: Record<keyof LayersModelViewOptions, unknown> = {
  site: 'input', embeddingLayer: undefined, validRange: null, layerOne: undefined,
};

function checkModel(model: unknown): void {
  const m = model as Partial<LayersModelLike> | null;
  if (typeof m !== 'object' || m === null || !Array.isArray(m.layers) || typeof m.apply !== 'function'
    || !Array.isArray(m.trainableWeights)) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `${PKG}: the first argument must be a tf.LayersModel (received ${describeValue(model)}).`);
  }
}

/** Unknown keys (with a suggestion), the site, and the valid range's order. */
function checkViewOptions(options: unknown): LayersModelViewOptions {
  const c = checkOptions(PKG, options, VIEW_DEFAULTS).oneOf('site', ['input', 'embedding']).range('validRange');
  const v = c.values;
  if (v.embeddingLayer !== undefined && typeof v.embeddingLayer !== 'string') c.fail('embeddingLayer', 'the name of an Embedding layer');
  if (v.layerOne !== undefined && typeof v.layerOne !== 'string' && typeof v.layerOne !== 'number') {
    c.fail('layerOne', 'a layer index or a layer name');
  }
  if (v.validRange !== null && v.site === 'embedding') {
    c.fail('validRange', 'null for embedding sites', 'Token ids have no valid range; the perturbation is added to the embeddings.');
  }
  return options as LayersModelViewOptions ?? {};
}

function findEmbedding(model: LayersModelLike, name: string | undefined): LayerLike {
  const found = model.layers.find((l) => l.getClassName() === 'Embedding' && (name === undefined || l.name === name));
  if (!found) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT', name === undefined
      ? '@advtrain/core: layersModelView() option "site" is "embedding" but the model has no Embedding layer.'
      : `@advtrain/core: layersModelView() option "embeddingLayer" must name an Embedding layer of the model (received ${describeValue(name)}).`);
  }
  return found;
}

function resolveLayerIndex(model: LayersModelLike, ref: number | string): number {
  const index = typeof ref === 'number' ? ref : model.layers.findIndex((l) => l.name === ref);
  if (!Number.isInteger(index) || index < 0 || index >= model.layers.length) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `@advtrain/core: layersModelView() option "layerOne" must be a layer index in [0, ${model.layers.length - 1}] or a layer name (received ${describeValue(ref)}).`);
  }
  return index;
}
