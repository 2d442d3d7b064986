import * as tf from '@tensorflow/tfjs-core';
import type { AnyStrategy, SerializedState, StepContext } from './contract.js';
import { AdvtrainError } from './errors.js';
import { disposeGrads, type GradMap } from './grad-map.js';
import { defaultLoss, type LossFn } from './losses.js';
import { PassCounter, type PassCount } from './pass-counter.js';
import { mixSeed } from './random.js';
import {
  progressAt, readSchedule, setLearningRate, type ScheduleProgress, type StepPosition, type TrainerSchedules,
} from './schedules.js';
import { tensorFromJSON, tensorToJSON, type TensorJSON } from './serialization.js';
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
}

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

export interface FitOptions {
  /** Epochs to run. */
  readonly epochs: number;
  /**
   * Divide the epochs by the strategy's optimizer steps per minibatch,
   * rounding up (`ceil(E / m)` for FreeAT), so the number of optimizer steps
   * matches natural training. Default false.
   */
  readonly matchOptimizerSteps?: boolean;
  /** Called after every step. */
  readonly onStep?: (report: StepReport, epoch: number) => void | Promise<void>;
  /** Called after every epoch with the mean training loss. */
  readonly onEpoch?: (epoch: number, meanLoss: number) => void | Promise<void>;
}

/** Batches of one epoch; called once per epoch. The caller owns the batch tensors. */
export type BatchSource = (epoch: number) => Iterable<Batch> | AsyncIterable<Batch>;

/** `ceil(E / m)`: epochs that give natural training's number of optimizer steps (FreeAT). */
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
 * (strategies that step the optimizer themselves return none).
 */
export class Trainer<S extends AnyStrategy = AnyStrategy> {
  readonly strategy: S;
  readonly setup: Required<TrainerSetup>;
  private state: unknown = undefined;
  private initialised = false;
  private stepIndex = 0;
  private optimizerStepIndex = 0;
  private lastLearningRate: number | null = null;

  constructor(strategy: S, setup: TrainerSetup) {
    assertGradientsRegistered();
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
    this.setup = { loss: defaultLoss, seed: 0, schedules: {}, stepsPerEpoch: null, ...setup };
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
    if (rate !== undefined) {
      setLearningRate(this.setup.optimizer, rate);
      this.lastLearningRate = rate;
    }
    this.setup.optimizer.applyGradients(grads);
    this.optimizerStepIndex += 1;
    passes.record('optimizerSteps');
  }

  private context(batch: Batch, passes: PassCounter, rates: number[] | null, epsilonScale: number | null): StepContext {
    const { view, loss } = this.setup;
    let k = 0;
    return {
      view, batch, loss, passes, step: this.stepIndex,
      ...(epsilonScale === null ? {} : { epsilonScale }),
      applyGradients: (grads: GradMap) => {
        // A strategy that steps more often than it declares keeps the last scheduled rate.
        this.optimizerStep(grads, passes, rates ? rates[Math.min(k, rates.length - 1)] : undefined);
        k += 1;
      },
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
    const passes = new PassCounter();
    const { loss, grads } = this.run(batch, passes, this.scheduledValues(this.positionOf(position)));
    return { loss, grads: grads ?? {}, passes: passes.snapshot() };
  }

  private run(batch: Batch, passes: PassCounter, scheduled: { rates: number[] | null; epsilonScale: number | null }):
    { loss: tf.Scalar; grads: GradMap | null; epsilonScale: number } {
    this.ensureState();
    const { view, seed } = this.setup;
    view.dropout.policy = this.strategy.capabilities.dropout;
    view.dropout.beginStep(mixSeed(seed ^ 0x5eed, this.stepIndex));
    const ctx = this.context(batch, passes, scheduled.rates, scheduled.epsilonScale);
    const inner = this.strategy.innerMax(ctx, this.state);
    const outer = this.strategy.outerMin(ctx, inner);
    this.state = outer.state;
    this.stepIndex += 1;
    if (outer.grads === null && !this.strategy.capabilities.stepsOptimizer) {
      outer.loss.dispose();
      throw new AdvtrainError('ADVTRAIN_UNSUPPORTED',
        `@advtrain/core: strategy "${this.strategy.name}" returned no gradients but does not declare stepsOptimizer.`);
    }
    return { loss: outer.loss, grads: outer.grads, epsilonScale: ctx.epsilonScale ?? 1 };
  }

  /**
   * One training step on `batch`. `position` (epoch, index in the epoch,
   * minibatches per epoch) drives the schedules; `@advtrain/train` passes it.
   */
  async trainStep(batch: Batch, position?: StepPosition): Promise<StepReport> {
    const passes = new PassCounter();
    const step = this.stepIndex;
    const scheduled = this.scheduledValues(this.positionOf(position));
    const { loss, grads, epsilonScale } = this.run(batch, passes, scheduled);
    if (grads) {
      this.optimizerStep(grads, passes, scheduled.rates?.[0]);
      disposeGrads(grads);
    }
    const value = (await loss.data())[0] as number;
    loss.dispose();
    return { step, loss: value, passes: passes.snapshot(), learningRate: this.lastLearningRate, epsilonScale };
  }

  /** Runs epochs over `source`; returns the mean loss of each epoch. */
  async fit(source: BatchSource, options: FitOptions): Promise<number[]> {
    const epochs = options.matchOptimizerSteps
      ? epochsForOptimizerSteps(options.epochs, this.strategy.capabilities.optimizerStepsPerBatch)
      : options.epochs;
    const means: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      let sum = 0;
      let count = 0;
      for await (const batch of source(epoch)) {
        const report = await this.trainStep(batch);
        sum += report.loss;
        count += 1;
        await options.onStep?.(report, epoch);
      }
      means.push(count ? sum / count : NaN);
      await options.onEpoch?.(epoch, means[epoch] as number);
    }
    return means;
  }

  /** Everything needed to resume the run exactly; tensors are read asynchronously. */
  async checkpoint(): Promise<TrainerCheckpoint> {
    this.ensureState();
    const optimizerWeights = await this.setup.optimizer.getWeights();
    const optimizer = await Promise.all(optimizerWeights.map(async (w) => ({ name: w.name, tensor: await tensorToJSON(w.tensor) })));
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
    if (checkpoint.variables.length !== vars.length) {
      throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
        `@advtrain/core: the checkpoint holds ${checkpoint.variables.length} variables, but the view has ${vars.length}.`);
    }
    vars.forEach((v, i) => {
      const value = tensorFromJSON(checkpoint.variables[i] as TensorJSON);
      v.assign(value);
      value.dispose();
    });
    const slots = checkpoint.optimizer.map((w) => ({ name: w.name, tensor: tensorFromJSON(w.tensor) }));
    await this.setup.optimizer.setWeights(slots);
    slots.forEach((w) => w.tensor.dispose());
    const restored = this.strategy.restore(checkpoint.strategy, { view: this.setup.view, seed: this.setup.seed });
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
