import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AdvtrainError, type Trainer, type TrainerCheckpoint } from '@advtrain/core';
import { PKG } from './dataset.js';

/** The `format` field of every checkpoint file written by {@link saveCheckpoint}. */
export const CHECKPOINT_FORMAT = 'advtrain-checkpoint';

/** A checkpoint file: the trainer's JSON-safe checkpoint plus the loop's position and history. */
export interface CheckpointFile {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: 1;
  /** Strategy description (`toString()`), checked on resume. */
  readonly strategy: string;
  /** Epochs completed. */
  readonly epoch: number;
  /** Training time so far, ms (evaluation excluded). */
  readonly trainMs: number;
  readonly history: ReadonlyArray<EpochRecord>;
  readonly trainer: TrainerCheckpoint;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** One finished epoch, as kept in the history. */
export interface EpochRecord {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly steps: number;
  /** Cumulative training time at the end of the epoch, ms. */
  readonly trainMs: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Writes a checkpoint file atomically (temp file, then rename); creates the folder. */
export async function saveCheckpoint(path: string, trainer: Trainer,
  position: { epoch: number; trainMs: number; history: readonly EpochRecord[]; meta?: Record<string, unknown> }): Promise<CheckpointFile> {
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT, version: 1, strategy: trainer.strategy.toString(),
    epoch: position.epoch, trainMs: position.trainMs, history: position.history,
    trainer: await trainer.checkpoint(), ...(position.meta ? { meta: position.meta } : {}),
  };
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, JSON.stringify(file));
  await rename(temp, path);
  return file;
}

/** Reads and checks a checkpoint file. */
export async function loadCheckpoint(path: string): Promise<CheckpointFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new AdvtrainError('ADVTRAIN_INVALID_ARGUMENT', `${PKG}: cannot read checkpoint file ${JSON.stringify(path)} (${err.code ?? 'error'}: ${err.message}).`);
  }
  let file: CheckpointFile;
  try {
    file = JSON.parse(text) as CheckpointFile;
  } catch (e) {
    throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH', `${PKG}: checkpoint file ${JSON.stringify(path)} is not valid JSON (${(e as Error).message}).`);
  }
  if (file?.format !== CHECKPOINT_FORMAT || file.version !== 1) {
    throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
      `${PKG}: ${JSON.stringify(path)} is not an advtrain checkpoint file (format ${JSON.stringify(file?.format)}, version ${JSON.stringify(file?.version)}).`);
  }
  return file;
}

/** Loads a checkpoint file into `trainer` (variables, optimizer slots, strategy state, step). */
export async function restoreCheckpoint(trainer: Trainer, path: string): Promise<CheckpointFile> {
  const file = await loadCheckpoint(path);
  if (file.strategy.split('(')[0] !== trainer.strategy.name) {
    throw new AdvtrainError('ADVTRAIN_STATE_MISMATCH',
      `${PKG}: checkpoint ${JSON.stringify(path)} was written by strategy ${file.strategy}, but this trainer runs ${trainer.strategy.toString()}.`);
  }
  await trainer.restore(file.trainer);
  return file;
}
