import * as tf from '@tensorflow/tfjs-core';
import type { AnyStrategy, SerializedState, StepContext } from './contract.js';
import { BatchError, batchStats, checkBatchShapes, checkBatchValues, type BatchExpectation, type StatsLayout } from './batch-check.js';
import { AdvtrainError, describeValue } from './errors.js';
import { registerAdvtrainGradients } from './fused-kernels.js';
import { disposeGrads, type GradMap } from './grad-map.js';
import { defaultLoss, type LossFn } from './losses.js';
import { snapshotOptimizer } from './optimizer-snapshot.js';
import { checkOptions } from './options.js';
import { PassCounter, type PassCount } from './pass-counter.js';
import { mixSeed } from './random.js';
import {
  progressAt, readSchedule, setLearningRate, type ScheduleProgress, type StepPosition, type TrainerSchedules,
} from './schedules.js';
import { tensorFromJSON, tensorToJSON, type TensorJSON } from './serialization.js';
import { createStepContext } from './step-context.js';
import { tensorsIn } from './tensor-tree.js';
import type { Batch, ModelView } from './views/types.js';

/** What the trainer needs besides the strategy. */
export interface TrainerSetup {
  readonly view: ModelView;
  readonly optimizer: tf.Optimizer;
  /** Task loss; default mean softmax cross-entropy. */
  readonly loss?: LossFn;
  /** Seed of the run (strategy randomness and dropout masks). Default 0. */
  readonly seed?: number;
  /**
   * Learning-rate and ε-scale schedules, applied before every optimizer step
   * (see `cyclicSchedule`, `piecewiseSchedule`, `cosineSchedule`, `linearRamp`).
   * Their progress comes from the position passed to `trainStep`, or from
   * `stepsPerEpoch`. Default none: the optimizer's own rate and ε scale 1.
   */
  readonly schedules?: TrainerSchedules;
  /** Minibatches per epoch, for schedules when `trainStep` gets no position. Default null. */
  readonly stepsPerEpoch?: number | null;
  /**
   * How much of every batch `trainStep` checks. `'full'` (default): shapes
   * before any op, and values (finite x and y, x inside the view's
   * `validRange`, labels in range) on the device, read back with the loss in
   * the step's one asynchronous read, before the optimizer steps. `'shapes'`:
   * shapes only. The non-finite guard on the loss and the gradients is always on.
   */
  readonly validation?: 'full' | 'shapes';
  /**
   * What a step whose loss or gradients are NaN or ±Infinity (or whose batch
   * holds NaN / ±Infinity) does. `'throw'` (default): throws
   * `ADVTRAIN_NON_FINITE` and leaves weights, optimizer slots, strategy state
   * and step counters as they were. `'skip'`: the same, but returns a report
   * with `skipped: true` and counts the batch in `skippedSteps`.
   */
  readonly onNonFinite?: 'throw' | 'skip';
  /**
   * What `batch.y` holds. `'classes'`: class indices [B] or one-hot / soft
   * labels [B, C], checked against the model's outputs. `'targets'`: anything
   * with one row per example (regression). Default `'classes'` with the
   * default loss, `'targets'` with a loss of your own.
   */
  readonly labels?: 'classes' | 'targets';
}

/** What {@link Trainer.trainStep} reports for one minibatch. */
export interface StepReport {
  /** Index of the minibatch in the run. */
  readonly step: number;
  /** Training loss of the step (read asynchronously). */
  readonly loss: number;
  /** Passes and optimizer steps the strategy made. */
  readonly passes: Readonly<PassCount>;
  /** Learning rate of the step's last optimizer step, when a schedule set it; else null. */
  readonly learningRate: number | null;
  /** ε scale of the step (1 without a schedule). */
  readonly epsilonScale: number;
  /** The batch was skipped because its loss, gradients or values were not finite (`onNonFinite: 'skip'`). */
  readonly skipped: boolean;
  /** Batches skipped so far in this trainer's life. */
  readonly skippedSteps: number;
}

/**
 * A checkpoint of a run, JSON-safe: step index, strategy state, the view's
 * variables (in view order, so names may differ in the restoring process) and
 * the optimizer's slots.
 */
export interface TrainerCheckpoint {
  readonly step: number;
  /** Optimizer steps taken (schedules read it); absent in older checkpoints. */
  readonly optimizerStep?: number;
  readonly seed: number;
  readonly strategy: SerializedState;
  readonly variables: TensorJSON[];
  readonly optimizer: Array<{ name: string; tensor: TensorJSON }>;
}

/**
 * `ceil(E / m)`: epochs that give natural training's number of optimizer
 * steps (FreeAT's m replays). `fit` from `@advtrain/train` applies it with
 * `matchOptimizerSteps: true`.
 */
export function epochsForOptimizerSteps(epochs: number, stepsPerBatch: number): number {
  return Math.ceil(epochs / Math.max(1, stepsPerBatch));
}

/** Throws a clear error when tfjs has no gradient functions registered. */
export function assertGradientsRegistered(): void {
  if (!tf.getGradient('Sum') || !tf.getGradient('BatchMatMul')) {
    throw new AdvtrainError('ADVTRAIN_NO_GRADIENTS',
      '@advtrain/core: no gradient functions are registered with @tensorflow/tfjs-core, which registers none by itself. '
      + "Prepare the backend with @advtrain/backends, or import '@tensorflow/tfjs-layers' (or '@tensorflow/tfjs') once in your app.");
  }
}

/**
 * Runs any strategy, one minibatch at a time. It knows no method by name: it
 * calls `innerMax`, then `outerMin`, and applies the returned gradients
 * (strategies that step the optimizer themselves return none). It owns one
 * step and checkpoints; epochs, callbacks and progress are `fit` from
 * `@advtrain/train`.
 */
export class Trainer<S extends AnyStrategy = AnyStrategy> {
  readonly strategy: S;
  readonly setup: Required<TrainerSetup>;
  private state: unknown = undefined;
  private initialised = false;
  private stepIndex = 0;
  private optimizerStepIndex = 0;
  private lastLearningRate: number | null = null;
  private skippedSteps = 0;
  /** Example shape seen in the first step that trained, when the view declares none. */
  private learnedInputShape: Array<number | null> | null = null;
  /** Number of logits, learned from the first loss computed. */
  private classes: number | null = null;
  /** Running finiteness flag of the gradients applied inside the step (strategies that step the optimizer). */
  private guard: tf.Tensor | null = null;
  /** True while the optimizer steps inside a step: what it keeps (its own scalars) is not the step's. */
  private optimizerStepping = false;

  constructor(strategy: S, setup: TrainerSetup) {
    assertGradientsRegistered();
    registerAdvtrainGradients();
    checkTrainerSetup(strategy, setup);
    const view = setup.view;
    const caps = strategy.capabilities;
    if (!caps.sites.includes(view.site)) {
      throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
        `@advtrain/core: strategy "${strategy.name}" perturbs ${caps.sites.join(' or ')} sites, but the view's site is "${view.site}".`);
    }
    if (caps.needsLayerOne && !view.layerOne) {
      throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
        `@advtrain/core: strategy "${strategy.name}" needs a layer-one split; build the view with functionModel({ layerOne, rest }) or layersModelView(model, { layerOne }).`);
    }
    this.strategy = strategy;
    const labels = setup.labels ?? (setup.loss === undefined || setup.loss === defaultLoss ? 'classes' : 'targets');
    this.setup = {
      loss: defaultLoss, seed: 0, schedules: {}, stepsPerEpoch: null, validation: 'full', onNonFinite: 'throw',
      ...Object.fromEntries(Object.entries(setup).filter(([, v]) => v !== undefined)), labels,
    } as Required<TrainerSetup>;
    for (const [name, schedule] of Object.entries(this.setup.schedules)) {
      if (schedule !== undefined && typeof schedule !== 'function') {
        throw new AdvtrainError('ADVTRAIN_INVALID_OPTION',
          `@advtrain/core: Trainer option "schedules.${name}" must be a function (progress) => number (received ${typeof schedule}).`);
      }
    }
  }

  /** Steps taken so far. */
  get step(): number {
    return this.stepIndex;
  }

  private ensureState(): void {
    if (!this.initialised) {
      this.state = this.strategy.init({ view: this.setup.view, seed: this.setup.seed });
      this.initialised = true;
    }
  }

  /** Where the minibatch sits: the position given, or one derived from `stepsPerEpoch`. */
  private positionOf(position: StepPosition | undefined): StepPosition | null {
    if (position) return position;
    const n = this.setup.stepsPerEpoch;
    if (n === null) return null;
    return { epoch: Math.floor(this.stepIndex / n), index: this.stepIndex % n, batchesPerEpoch: n };
  }

  /**
   * The scheduled values of the minibatch, read before any tensor is made so
   * that a bad schedule fails without leaving anything behind: one learning
   * rate per optimizer step (FreeAT's replays), one ε scale.
   */
  private scheduledValues(position: StepPosition | null): { rates: number[] | null; epsilonScale: number | null } {
    const { learningRate, epsilonScale } = this.setup.schedules;
    if (!learningRate && !epsilonScale) return { rates: null, epsilonScale: null };
    if (!position) {
      throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
        '@advtrain/core: the trainer has schedules but does not know where the step is in its epoch; '
        + 'pass trainStep(batch, { epoch, index, batchesPerEpoch }) or set the Trainer option "stepsPerEpoch".');
    }
    const m = this.strategy.capabilities.optimizerStepsPerBatch;
    const at = (k: number): ScheduleProgress => progressAt(position, k, m, this.optimizerStepIndex + k);
    return {
      rates: learningRate ? Array.from({ length: m }, (_, k) => readSchedule('learningRate', learningRate, at(k))) : null,
      epsilonScale: epsilonScale ? readSchedule('epsilonScale', epsilonScale, at(m - 1)) : null,
    };
  }

  /** One optimizer step, with the scheduled learning rate set first. */
  private optimizerStep(grads: GradMap, passes: PassCounter, rate: number | undefined): void {
    this.optimizerStepping = true;
    try {
      if (rate !== undefined) {
        setLearningRate(this.setup.optimizer, rate);
        this.lastLearningRate = rate;
      }
      this.setup.optimizer.applyGradients(grads);
    } finally {
      this.optimizerStepping = false;
    }
    this.optimizerStepIndex += 1;
    passes.record('optimizerSteps');
  }

  private context(batch: Batch, passes: PassCounter, rates: number[] | null, epsilonScale: number | null): StepContext {
    const { view } = this.setup;
    let k = 0;
    return createStepContext({
      view, batch, loss: this.checkedLoss, passes, step: this.stepIndex, epsilonScale,
      applyGradients: (grads: GradMap) => {
        // The guard: the gradients' finiteness joins the step's one read; a non-finite step is undone there.
        const flag = tf.tidy(() => gradientFlag(grads));
        const next = tf.keep(this.guard ? tf.add(this.guard, flag) : tf.clone(flag));
        flag.dispose();
        this.guard?.dispose();
        this.guard = next;
        // A strategy that steps more often than it declares keeps the last scheduled rate.
        this.optimizerStep(grads, passes, rates ? rates[Math.min(k, rates.length - 1)] : undefined);
        k += 1;
      },
    });
  }

  /** The task loss, checking the logits against the labels first (and learning the number of classes). */
  private readonly checkedLoss: LossFn = (logits, batch) => {
    if (this.setup.labels === 'classes' && logits.rank >= 2) {
      const c = logits.shape[logits.rank - 1] as number;
      if (batch.y.rank === 2 && batch.y.shape[1] !== c) {
        throw new BatchError('ADVTRAIN_INVALID_BATCH', 'batch.y', describeValue(batch.y),
          `@advtrain/core: batch.y must be one-hot / soft labels [B, ${c}] for the model's ${c} outputs (received ${describeValue(batch.y)}).`);
      }
      this.classes = c;
    }
    return this.setup.loss(logits, batch);
  };

  /** What batches must look like for this trainer's view and loss. */
  private expectation(): BatchExpectation {
    const view = this.setup.view;
    return {
      pkg: '@advtrain/core', what: 'batch', site: view.site,
      inputShape: view.site === 'input' ? view.inputShape ?? this.learnedInputShape : null,
      labels: this.setup.labels, classes: this.classes ?? view.classes ?? null, validRange: view.validRange,
    };
  }

  /**
   * Computes the gradients the optimizer would receive for `batch`, without
   * applying them. The caller owns and disposes the returned map. The
   * strategy's state does advance.
   */
  gradients(batch: Batch, position?: StepPosition): { loss: tf.Scalar; grads: GradMap; passes: Readonly<PassCount> } {
    if (this.strategy.capabilities.stepsOptimizer) {
      throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
        `@advtrain/core: strategy "${this.strategy.name}" steps the optimizer itself, so its gradients cannot be returned without applying them.`);
    }
    checkBatchShapes(batch, this.expectation());
    const passes = new PassCounter();
    const scheduled = this.scheduledValues(this.positionOf(position));
    this.ensureState();
    const out = this.guarded(() => this.run(batch, passes, scheduled));
    this.commit(batch, out.state);
    return { loss: out.loss, grads: out.grads ?? {}, passes: passes.snapshot() };
  }

  /** Runs the strategy on `batch` without committing its new state or the step counter. */
  private run(batch: Batch, passes: PassCounter, scheduled: { rates: number[] | null; epsilonScale: number | null }):
    { loss: tf.Scalar; grads: GradMap | null; state: unknown; epsilonScale: number } {
    const { view, seed } = this.setup;
    view.dropout.policy = this.strategy.capabilities.dropout;
    view.dropout.beginStep(mixSeed(seed ^ 0x5eed, this.stepIndex));
    const ctx = this.context(batch, passes, scheduled.rates, scheduled.epsilonScale);
    const inner = this.strategy.innerMax(ctx, this.state);
    const outer = this.strategy.outerMin(ctx, inner);
    if (outer.grads === null && !this.strategy.capabilities.stepsOptimizer) {
      throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
        `@advtrain/core: strategy "${this.strategy.name}" returned no gradients but does not declare stepsOptimizer.`);
    }
    return { loss: outer.loss, grads: outer.grads, state: outer.state, epsilonScale: ctx.epsilonScale ?? 1 };
  }

  /** Accepts a step: the strategy's new state, the step counter, the example shape. */
  private commit(batch: Batch, state: unknown): void {
    this.state = state;
    this.stepIndex += 1;
    if (this.setup.view.site === 'input' && !this.setup.view.inputShape && !this.learnedInputShape) {
      this.learnedInputShape = [null, ...batch.x.shape.slice(1)];
    }
  }

  /**
   * Runs `fn` in an engine scope. On success the tensors of its result are
   * handed to the caller and every other tensor it made is freed; on failure
   * every tensor it made is freed, including those it `tf.keep`-ed.
   */
  private guarded<T extends { loss: tf.Tensor; grads: GradMap | null; state: unknown }>(fn: () => T, extra: () => tf.Tensor[] = () => []): T {
    const engine = tf.engine();
    const kept: tf.Tensor[] = [];
    const keep = engine.keep;
    engine.keep = <K extends tf.Tensor>(t: K): K => {
      if (!this.optimizerStepping) kept.push(t);
      return keep.call(engine, t) as K;
    };
    engine.startScope('advtrain.trainStep');
    let result: T;
    try {
      result = fn();
    } catch (e) {
      engine.keep = keep;
      engine.endScope();
      for (const t of kept) if (!t.isDisposed) t.dispose();
      this.guard = null;
      throw e;
    }
    engine.keep = keep;
    engine.endScope([result.loss, ...Object.values(result.grads ?? {}), ...tensorsIn(result.state), ...extra()]);
    return result;
  }

  /**
   * One training step on `batch`. `position` (epoch, index in the epoch,
   * minibatches per epoch) drives the schedules; `@advtrain/train` passes it.
   *
   * The batch is checked first (shapes before any op; values on the device,
   * read back with the loss in the step's one asynchronous read), and the
   * optimizer steps only after that read shows a finite loss, finite
   * gradients and a valid batch. A refused step throws an `AdvtrainError`
   * (`ADVTRAIN_INVALID_BATCH`, `ADVTRAIN_NON_FINITE`) and leaves the weights,
   * the optimizer's slots, the strategy's state, the step counters and the
   * tensor count as they were. Strategies that step the optimizer themselves
   * (FreeAT) have their batch values read before the step (one extra read),
   * and a non-finite replay is undone from a snapshot of the variables and
   * the optimizer's slots taken before the step.
   */
  async trainStep(batch: Batch, position?: StepPosition): Promise<StepReport> {
    const expectation = this.expectation();
    checkBatchShapes(batch, expectation);
    const step = this.stepIndex;
    const scheduled = this.scheduledValues(this.positionOf(position));
    const full = this.setup.validation === 'full';
    const selfStepping = this.strategy.capabilities.stepsOptimizer;
    if (full && selfStepping) {
      const { stats, layout } = batchStats(batch, expectation);
      const values = await stats.data();
      stats.dispose();
      checkBatchValues(values as Float32Array, 0, layout, expectation, expectation.classes, ` in step ${step}`);
    }
    this.ensureState();
    const passes = new PassCounter();
    const counters = { optimizerStepIndex: this.optimizerStepIndex, lastLearningRate: this.lastLearningRate };
    const before = this.state;
    const saved = cloneTree(before);
    const snapshot = selfStepping ? await snapshotOptimizer(this.setup.optimizer, this.setup.view.variables) : null;
    let layout: StatsLayout = { entries: [] };
    let stats: tf.Tensor | null = null;
    const rollback = async (after: unknown) => {
      for (const t of new Set([...tensorsIn(before), ...tensorsIn(after)])) if (!t.isDisposed) t.dispose();
      this.state = saved;
      this.optimizerStepIndex = counters.optimizerStepIndex;
      this.lastLearningRate = counters.lastLearningRate;
      this.guard?.dispose();
      this.guard = null;
      await snapshot?.restore();
    };
    let out: ReturnType<Trainer['run']>;
    try {
      out = this.guarded(() => {
        const result = this.run(batch, passes, scheduled);
        const checks = full && !selfStepping ? batchStats(batch, { ...expectation, classes: this.classes ?? expectation.classes }) : null;
        layout = checks?.layout ?? layout;
        stats = tf.tidy(() => tf.concat([
          tf.reshape(result.loss, [1]),
          tf.reshape(result.grads ? gradientFlag(result.grads) : tf.scalar(0), [1]),
          tf.reshape(this.guard ?? tf.scalar(0), [1]),
          ...(checks ? [checks.stats] : []),
        ]));
        checks?.stats.dispose();
        return result;
      }, () => (stats ? [stats] : []));
    } catch (e) {
      await rollback(undefined);
      throw e;
    }
    const read = stats as unknown as tf.Tensor;
    const values = await read.data() as Float32Array;
    read.dispose();
    this.guard?.dispose();
    this.guard = null;
    let failure: AdvtrainError | null = null;
    try {
      checkBatchValues(values, 3, layout, expectation, this.classes, ` in step ${step}`);
    } catch (e) {
      failure = e as AdvtrainError;
    }
    if (!failure && !(Number.isFinite(values[0]) && values[1] === 0 && values[2] === 0)) {
      const what = !Number.isFinite(values[0]) ? `loss (${values[0]})` : 'gradient';
      failure = new BatchError('ADVTRAIN_NON_FINITE', what === 'gradient' ? 'gradients' : 'loss', 'NaN or ±Infinity',
        `@advtrain/core: step ${step} produced a non-finite ${what}; the weights, the optimizer's slots and the strategy's state were left as they were. `
        + "Lower the learning rate or ε, check the model and the loss, or set the Trainer option onNonFinite: 'skip' to skip such batches.");
    }
    if (failure) {
      disposeGrads(out.grads);
      out.loss.dispose();
      await rollback(out.state);
      if (failure.code === 'ADVTRAIN_NON_FINITE' && this.setup.onNonFinite === 'skip') {
        this.skippedSteps += 1;
        return {
          step, loss: NaN, passes: passes.snapshot(), learningRate: this.lastLearningRate, epsilonScale: out.epsilonScale,
          skipped: true, skippedSteps: this.skippedSteps,
        };
      }
      throw failure;
    }
    snapshot?.dispose();
    for (const t of tensorsIn(saved)) t.dispose();
    this.commit(batch, out.state);
    if (out.grads) {
      this.optimizerStep(out.grads, passes, scheduled.rates?.[0]);
      disposeGrads(out.grads);
    }
    out.loss.dispose();
    return {
      step, loss: values[0] as number, passes: passes.snapshot(), learningRate: this.lastLearningRate,
      epsilonScale: out.epsilonScale, skipped: false, skippedSteps: this.skippedSteps,
    };
  }

  /** Everything needed to resume the run exactly; tensors are read asynchronously. */
  async checkpoint(): Promise<TrainerCheckpoint> {
    this.ensureState();
    const optimizerWeights = await this.setup.optimizer.getWeights();
    let optimizer: Array<{ name: string; tensor: TensorJSON }>;
    try {
      optimizer = await Promise.all(optimizerWeights.map(async (w) => ({ name: w.name, tensor: await tensorToJSON(w.tensor) })));
    } finally {
      // getWeights() makes a fresh scalar for the iteration count; the slots are the optimizer's own variables.
      for (const w of optimizerWeights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    }
    return {
      step: this.stepIndex,
      optimizerStep: this.optimizerStepIndex,
      seed: this.setup.seed,
      strategy: await this.strategy.serialize(this.state),
      variables: await Promise.all(this.setup.view.variables.map((v) => tensorToJSON(v))),
      optimizer,
    };
  }

  /**
   * Continues from a checkpoint: restores variables, optimizer slots and the
   * strategy's state, so the next step reproduces the uninterrupted run.
   */
  async restore(checkpoint: TrainerCheckpoint): Promise<void> {
    if (checkpoint.seed !== this.setup.seed) {
      throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
        `@advtrain/core: the checkpoint was made with seed ${checkpoint.seed}, but this trainer has seed ${this.setup.seed}.`);
    }
    const vars = this.setup.view.variables;
    // Everything is checked before anything is assigned, so a bad checkpoint changes nothing.
    checkCheckpoint(checkpoint, vars);
    const restored = this.strategy.restore(checkpoint.strategy, { view: this.setup.view, seed: this.setup.seed });
    vars.forEach((v, i) => {
      const value = tensorFromJSON(checkpoint.variables[i] as TensorJSON);
      v.assign(value);
      value.dispose();
    });
    const slots = checkpoint.optimizer.map((w) => ({ name: w.name, tensor: tensorFromJSON(w.tensor) }));
    await this.setup.optimizer.setWeights(slots);
    slots.forEach((w) => w.tensor.dispose());
    this.dispose();
    this.state = restored;
    this.initialised = true;
    this.stepIndex = checkpoint.step;
    this.optimizerStepIndex = checkpoint.optimizerStep ?? checkpoint.step * this.strategy.capabilities.optimizerStepsPerBatch;
  }

  /** Frees the strategy's state. */
  dispose(): void {
    if (this.initialised) this.strategy.dispose(this.state);
    this.state = undefined;
    this.initialised = false;
  }
}

/** `Σ g·0` over every gradient: 0 when all are finite, NaN otherwise. */
function gradientFlag(grads: GradMap): tf.Scalar {
  const parts = Object.values(grads).map((g) => tf.sum(tf.mul(g, 0)));
  if (parts.length === 0) return tf.scalar(0);
  return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Scalar;
}

/** A copy of a state tree: arrays and plain objects copied, tensors cloned (zero-copy; tfjs tensors are immutable). */
function cloneTree<T>(tree: T): T {
  if (tree === null || typeof tree !== 'object') return tree;
  if (tree instanceof tf.Tensor) return tf.clone(tree) as unknown as T;
  if (Array.isArray(tree)) return tree.map((v) => cloneTree(v)) as unknown as T;
  if (Object.getPrototypeOf(tree) !== Object.prototype && Object.getPrototypeOf(tree) !== null) return tree;
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, cloneTree(v)])) as T;
}

const SETUP_DEFAULTS: Record<keyof TrainerSetup, unknown> = {
  view: undefined, optimizer: undefined, loss: undefined, seed: 0, schedules: {}, stepsPerEpoch: null,
  validation: 'full', onNonFinite: 'throw', labels: undefined,
};

function isLayersModelLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { layers?: unknown }).layers)
    && typeof (value as { apply?: unknown }).apply === 'function';
}

/** Checks the Trainer's setup like strategy options: unknown keys, types, and a view where a view belongs. */
function checkTrainerSetup(strategy: AnyStrategy, setup: TrainerSetup): void {
  const pkg = '@advtrain/core: new Trainer()';
  if (typeof strategy !== 'object' || strategy === null || typeof strategy.innerMax !== 'function' || typeof strategy.outerMin !== 'function') {
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT',
      `${pkg}: the first argument must be a strategy from a factory such as pgd() or clean() (received ${describeValue(strategy)}).`);
  }
  const c = checkOptions(pkg, setup, SETUP_DEFAULTS);
  const v = c.values as Record<string, unknown>;
  const view = v['view'] as Partial<ModelView> | undefined;
  if (isLayersModelLike(view)) {
    c.fail('view', 'a model view', 'A tf.LayersModel is not a view; wrap it: layersModelView(model, { validRange: [0, 1] }).');
  }
  if (typeof view !== 'object' || view === null || typeof view.forward !== 'function' || !Array.isArray(view.variables)
    || (view.site !== 'input' && view.site !== 'embedding') || typeof view.dropout !== 'object') {
    c.fail('view', 'a model view from layersModelView(model, …) or functionModel({ … })');
  }
  const optimizer = v['optimizer'] as Partial<tf.Optimizer> | undefined;
  if (typeof optimizer !== 'object' || optimizer === null || typeof optimizer.applyGradients !== 'function') {
    c.fail('optimizer', 'a tf.Optimizer, e.g. tf.train.sgd(0.1)');
  }
  if (v['loss'] !== undefined && typeof v['loss'] !== 'function') c.fail('loss', 'a function (logits, batch) => scalar');
  c.integerSeed('seed' as keyof TrainerSetup & string);
  if (v['stepsPerEpoch'] !== null) c.integer('stepsPerEpoch', { min: 1 });
  if (typeof v['schedules'] !== 'object' || v['schedules'] === null || Array.isArray(v['schedules'])) {
    c.fail('schedules', 'an object { learningRate?, epsilonScale? } of schedules');
  }
  c.oneOf('validation', ['full', 'shapes']).oneOf('onNonFinite', ['throw', 'skip']);
  if (v['labels'] !== undefined) c.oneOf('labels', ['classes', 'targets']);
}

/** A checkpoint fits this view: every variable's shape, dtype and value count, before anything is assigned. */
function checkCheckpoint(checkpoint: TrainerCheckpoint, vars: readonly tf.Variable[]): void {
  const bad = (what: string): never => {
    throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH', `@advtrain/core: the checkpoint ${what}; nothing was restored.`);
  };
  if (!Array.isArray(checkpoint?.variables) || !Array.isArray(checkpoint.optimizer) || typeof checkpoint.step !== 'number') {
    bad('is not a trainer checkpoint (it needs step, variables and optimizer)');
  }
  if (checkpoint.variables.length !== vars.length) {
    bad(`holds ${checkpoint.variables.length} variables, but the view has ${vars.length}`);
  }
  const tensorOk = (t: TensorJSON | undefined): boolean => !!t && Array.isArray(t.shape) && Array.isArray(t.values)
    && ['float32', 'int32', 'bool'].includes(t.dtype) && t.values.length === t.shape.reduce((a, b) => a * b, 1)
    && t.values.every((x) => typeof x === 'number');
  checkpoint.variables.forEach((t, i) => {
    const v = vars[i] as tf.Variable;
    if (!tensorOk(t)) bad(`variable ${i} is not a complete tensor`);
    if (t.shape.join(',') !== v.shape.join(',') || t.dtype !== v.dtype) {
      bad(`variable ${i} is a ${t.dtype} tensor of shape [${t.shape.join(', ')}], but the view's "${v.name}" is a ${v.dtype} tensor of shape [${v.shape.join(', ')}]`);
    }
  });
  checkpoint.optimizer.forEach((w, i) => {
    if (typeof w?.name !== 'string' || !tensorOk(w.tensor)) bad(`optimizer slot ${i} is not a complete named tensor`);
  });
}
