export { SPEC_VERSION } from './contract.js';
export type {
  AnyStrategy, Capabilities, InitContext, InnerResult, OuterResult, PerturbationStrategy, SerializedState,
  StepContext, ThreatModel,
} from './contract.js';
export { CAPABILITY_DEFAULTS, declareCapabilities, defineStrategy, handOver, type CapabilityDeclaration, type StrategyDefinition } from './define-strategy.js';
export { chain, type ChainInnerResult } from './chain.js';
export { clean } from './clean.js';
export {
  Trainer, assertGradientsRegistered, epochsForOptimizerSteps,
  type StepReport, type TrainerCheckpoint, type TrainerSetup,
} from './trainer.js';
export { createStepContext, type StepContextParts } from './step-context.js';
export { probe, probeLayerOne, type LayerOneRequest, type Objective, type ProbeRequest, type ProbeResult } from './probe.js';
export { PassCounter, emptyCount, type PassCount } from './pass-counter.js';
export { DropoutControl, type DropoutPolicy } from './dropout.js';
export { functionModel, type EmbeddingModelSpec, type InputModelSpec } from './views/function-model.js';
export {
  layersModelView, type LayerLike, type LayerVariableLike, type LayersModelLike, type LayersModelViewOptions,
} from './views/layers-model.js';
export type { Batch, ForwardContext, ForwardOptions, LayerOneSplit, ModelView, PerturbationSite } from './views/types.js';
export { l2Norm, linfNorm, stableL2Norm, reductionAxes, sumOfSquares, type NormScope } from './norms.js';
export { FUSED_KERNELS, registerAdvtrainGradients } from './fused-kernels.js';
export {
  ascentDirection, clampKeepsRange, clampToRange, clipLinf, l2AscentStep, normalizeL2, normalizeLinf, normalizedAscent, projectL2,
  projectToBall, keepInRange, rangeClamp, scaleToL2, scaledAdd, signAscent, type GuardMode, type RangeClamp,
} from './projections.js';
export { createRng, fillNormal, fillUniform, mixSeed, nextSeed, randomNormal, randomUniform, restoreRng, type RngState } from './random.js';
export { addGrads, accumulateGrads, copyGrads, disposeGrads, scaleGrads, sumGrads, type GradMap } from './grad-map.js';
export { crossEntropy, defaultLoss, exampleCrossEntropy, meanSquaredError, targetsOf, type ExampleLossFn, type LossFn } from './losses.js';
export { OptionChecker, checkOptions, closestMatch } from './options.js';
export { AdvtrainError, StrategyOptionsError, assertArgument, describeValue, type AdvtrainErrorCode } from './errors.js';
export {
  BatchError, batchStats, checkBatchShapes, checkBatchValues, type BatchExpectation, type StatsLayout,
} from './batch-check.js';
export { tensorFromJSON, tensorToJSON, type TensorJSON } from './serialization.js';
export { disposeExcept, tensorsIn } from './tensor-tree.js';
export { maskedUniformInit } from './init.js';
export { stopGradient } from './stop-gradient.js';
export { addAdversarialTerm, ascentStep, attackGradient, randomBallStart, inspectStep, type AscentStep, type AttackGradientRequest, type InspectedStep, type LossTerm } from './attack-steps.js';
export {
  constantSchedule, cosineSchedule, cyclicSchedule, epsilonScaleOf, interpolatedSchedule, linearRamp, piecewiseSchedule,
  progressAt, readSchedule, setLearningRate,
  type Schedule, type ScheduleProgress, type StepPosition, type TrainerSchedules,
} from './schedules.js';
export { advanceWhereCorrect, correctMask } from './early-stop.js';
