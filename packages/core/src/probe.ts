import * as tf from '@tensorflow/tfjs-core';
import type { StepContext } from './contract.js';
import { AdvtrainError, assertArgument } from './errors.js';
import { registerAdvtrainGradients } from './fused-kernels.js';
import type { GradMap } from './grad-map.js';
import { scoped } from './tensor-tree.js';
import type { Batch } from './views/types.js';

/** Scalar objective of a pass from its logits; defaults to the step's task loss. */
export type Objective = (logits: tf.Tensor, batch: Batch) => tf.Scalar;

/** What one {@link probe} pass computes: the point (δ), the objective and which gradients. */
export interface ProbeRequest {
  /** Perturbation at the site; null or omitted means the clean input. */
  readonly delta?: tf.Tensor | null;
  /** Return ∂objective/∂δ. */
  readonly wrtDelta?: boolean;
  /** Return parameter gradients: `true` for every trainable variable, or a subset. */
  readonly wrtParams?: boolean | readonly tf.Variable[];
  /** Return ∂objective/∂z at the layer-one output (YOPO's co-state, before negation). */
  readonly wrtLayerOne?: boolean;
  readonly objective?: Objective;
  /** Multiplies the objective before differentiation (FreeLB's 1/K). Default 1. */
  readonly scale?: number;
  /** Training mode. Default true. */
  readonly training?: boolean;
  /** Input sites: clamp x + δ to the valid range inside the pass. */
  readonly clampInput?: boolean;
  /** Also return the logits of the pass. */
  readonly keepLogits?: boolean;
  /** Run in batch-statistics mode without moving-average updates. */
  readonly preserveStatistics?: boolean;
  /**
   * A constant co-state added to ∂L/∂z at the layer-one output during the backward pass (the
   * gradient of `Σ z ⊙ c` rides along; the loss value is unchanged). YOPO fuses its extra
   * first-layer term into the next full pass with it. Needs a layer-one split.
   */
  readonly layerOneCostate?: tf.Tensor;
}

/** The outputs of one {@link probe} pass; the caller owns (and disposes) every tensor. */
export interface ProbeResult {
  /** Unscaled objective value. */
  readonly loss: tf.Scalar;
  readonly logits: tf.Tensor | null;
  readonly deltaGrad: tf.Tensor | null;
  readonly paramGrads: GradMap | null;
  readonly layerOneGrad: tf.Tensor | null;
}

/**
 * The probe primitive: one forward pass at site + δ and, on request, one
 * backward pass giving ∂L/∂δ and/or ∂L/∂θ together. Asking only for ∂L/∂δ
 * skips the weight-gradient kernels. Every call is counted in `ctx.passes`.
 * The caller owns every returned tensor.
 */
export function probe(ctx: StepContext, request: ProbeRequest = {}): ProbeResult {
  registerAdvtrainGradients();
  const { view, batch } = ctx;
  const objective = request.objective ?? ctx.loss;
  const scale = request.scale ?? 1;
  const training = request.training ?? true;
  const params = request.wrtParams === true ? view.variables : request.wrtParams || [];
  const wantDelta = request.wrtDelta === true;
  const wantTap = request.wrtLayerOne === true;
  const wantGrads = wantDelta || wantTap || params.length > 0;

  const run = (): ProbeResult => scoped('probe', () => {
    const delta = request.delta ?? (wantDelta ? tf.fill(view.siteShape(batch), 0) : null);
    const tap = wantTap ? layerOneTap(ctx, delta) : null;
    let loss: tf.Scalar | null = null;
    let logits: tf.Tensor | null = null;
    const f = (): tf.Scalar => {
      const out = view.forward(batch, delta, {
        training, clampInput: request.clampInput === true, ...(tap ? { layerOneTap: tap } : {}),
        ...(request.layerOneCostate ? { layerOneCostate: request.layerOneCostate } : {}) });
      loss = tf.keep(objective(out, batch));
      if (request.keepLogits) logits = tf.keep(out);
      return (scale === 1 ? loss : tf.mul(loss, scale)) as tf.Scalar;
    };
    ctx.passes.record('forward');
    if (!wantGrads) {
      f();
      return { ...release(loss as unknown as tf.Scalar, logits), deltaGrad: null, paramGrads: null, layerOneGrad: null };
    }
    const xs: tf.Tensor[] = [...(wantDelta ? [delta as tf.Tensor] : []), ...(tap ? [tap] : []), ...params];
    const { grads } = tf.engine().gradients(f, xs, undefined, true);
    ctx.passes.record('backward');
    let i = 0;
    const take = (like: tf.Tensor): tf.Tensor => grads[i++] ?? tf.zerosLike(like);
    const deltaGrad = wantDelta ? take(delta as tf.Tensor) : null;
    const layerOneGrad = tap ? take(tap) : null;
    const paramGrads: GradMap | null = params.length > 0 ? {} : null;
    for (const v of params) (paramGrads as GradMap)[v.name] = take(v);
    return { ...release(loss as unknown as tf.Scalar, logits), deltaGrad, paramGrads, layerOneGrad };
  });
  return request.preserveStatistics ? view.preservingStatistics(run) : run();
}

/**
 * Loss and logits had to be kept to escape the gradient call's own scope.
 * Clones (which share data) put them back under ordinary scope rules, so an
 * unused one is freed by the caller's tidy instead of leaking.
 */
function release(loss: tf.Scalar, logits: tf.Tensor | null): { loss: tf.Scalar; logits: tf.Tensor | null } {
  const out = { loss: tf.clone(loss), logits: logits ? tf.clone(logits) : null };
  loss.dispose();
  logits?.dispose();
  return out;
}

const layerOneShapes = new WeakMap<object, Map<string, number[]>>();

/** Layer one's output shape for this batch's input shape, found once (a shape query, not counted as a pass). */
function layerOneShape(ctx: StepContext, delta: tf.Tensor | null): number[] {
  const split = requireLayerOne(ctx);
  let shapes = layerOneShapes.get(split);
  if (!shapes) layerOneShapes.set(split, shapes = new Map());
  const key = ctx.batch.x.shape.join('x');
  let shape = shapes.get(key);
  if (!shape) {
    const z = split.forward(ctx.batch, delta, { training: false });
    shape = [...z.shape];
    z.dispose();
    shapes.set(key, shape);
  }
  return shape;
}

/** A zero tensor shaped like layer one's output, to read ∂L/∂z through. */
function layerOneTap(ctx: StepContext, delta: tf.Tensor | null): tf.Tensor {
  return tf.fill(layerOneShape(ctx, delta), 0);
}

export function requireLayerOne(ctx: StepContext) {
  if (!ctx.view.layerOne) {
    throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
      '@advtrain/core: this strategy needs a layer-one split; build the view with functionModel({ layerOne, rest }) or layersModelView(model, { layerOne }).');
  }
  return ctx.view.layerOne;
}

/** What one {@link probeLayerOne} pass computes, through layer one only. */
export interface LayerOneRequest {
  readonly delta: tf.Tensor;
  /** Scalar objective of the layer-one output z. Give this or `costate`. */
  readonly objective?: (z: tf.Tensor) => tf.Scalar;
  /**
   * The linear objective ⟨costate, z⟩ (YOPO's Hamiltonian with p = costate), differentiated by
   * seeding the backward pass with the co-state: no product, sum or broadcast kernels, and no value
   * (`value` is null). Give this or `objective`.
   */
  readonly costate?: tf.Tensor;
  readonly wrtDelta?: boolean;
  /** Return gradients for layer one's variables θ0. */
  readonly wrtParams?: boolean;
  readonly training?: boolean;
  readonly clampInput?: boolean;
}

/** One forward (and optionally backward) pass through layer one only, counted as a layer-one pass. */
export function probeLayerOne(ctx: StepContext, request: LayerOneRequest): {
  value: tf.Scalar | null; deltaGrad: tf.Tensor | null; paramGrads: GradMap | null;
} {
  registerAdvtrainGradients();
  const split = requireLayerOne(ctx);
  const { objective, costate } = request;
  if ((objective === undefined) === (costate === undefined)) {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `@advtrain/core: probeLayerOne needs exactly one of "objective" and "costate" (received ${objective ? 'both' : 'neither'}).`);
  }
  if (costate) {
    // tfjs does not check a seed's shape (a wrong one would broadcast silently); checked before any
    // kernel runs, because tensors saved for a backward pass leak when the pass throws.
    const expected = layerOneShape(ctx, request.delta);
    assertArgument(costate.shape.join(',') === expected.join(','), () =>
      `@advtrain/core: probeLayerOne's "costate" must have layer one's output shape [${expected.join(', ')}] (received [${costate.shape.join(', ')}]).`);
  }
  const params = request.wrtParams ? split.variables : [];
  return scoped('probeLayerOne', () => {
    let value: tf.Scalar | null = null;
    const layerOne = (): tf.Tensor => split.forward(ctx.batch, request.delta, {
      training: request.training ?? true, clampInput: request.clampInput ?? true });
    const f = (): tf.Tensor => {
      if (costate) return layerOne();
      value = tf.keep((objective as (z: tf.Tensor) => tf.Scalar)(layerOne()));
      return value;
    };
    const xs = [...(request.wrtDelta ? [request.delta] : []), ...params];
    // A co-state with nothing to differentiate asks for nothing: no pass is run or counted.
    if (xs.length === 0 && costate) return { value: null, deltaGrad: null, paramGrads: null };
    ctx.passes.record('layerOneForward');
    if (xs.length === 0) {
      f();
      return { value: release(value as unknown as tf.Scalar, null).loss, deltaGrad: null, paramGrads: null };
    }
    const { grads } = tf.engine().gradients(f, xs, costate, true);
    ctx.passes.record('layerOneBackward');
    let i = 0;
    const take = (like: tf.Tensor): tf.Tensor => grads[i++] ?? tf.zerosLike(like);
    const deltaGrad = request.wrtDelta ? take(request.delta) : null;
    const paramGrads: GradMap | null = params.length ? {} : null;
    for (const v of params) (paramGrads as GradMap)[v.name] = take(v);
    return { value: value ? release(value as tf.Scalar, null).loss : null, deltaGrad, paramGrads };
  });
}
