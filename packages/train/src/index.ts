export {
  batchSource, batchesPerEpoch, checkDataset, epochBatches, readDataFile, shuffledIndices,
  type BatchOptions, type BatchSource, type Dataset,
} from './dataset.js';
export { fit, type Callback, type EpochInfo, type FitOptions, type FitResult, type StepInfo } from './fit.js';
export { bestCheckpoint, earlyStopping, evaluateEachEpoch, robustEvaluation } from './callbacks.js';
export {
  CHECKPOINT_FORMAT, loadCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointFile, type EpochRecord,
} from './checkpoint-file.js';
export { createProgress, type Progress, type ProgressStream } from './progress.js';
export {
  RobustnessMonitor, judgeCheck, type MonitorCheck, type MonitorThresholds, type MonitorWarning, type RobustnessMonitorOptions,
} from './robustness-monitor.js';
