import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AdvtrainError, type TensorJSON, type Trainer, type TrainerCheckpoint } from '@advtrain/core';
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

let writes = 0;

/** fsync of a folder, so a rename in it survives a power loss; a no-op where folders cannot be synced. */
async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `text` to `path` so that a crash at any moment leaves either the
 * previous file or the new one, never a partial file: write a temp file in
 * the same folder, fsync it, rename it over `path`, fsync the folder.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${writes++}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncFolder(dirname(path));
}

/**
 * Writes a checkpoint file crash-safely (temp file, fsync, rename, fsync of
 * the folder); creates the folder. A process killed at any point leaves the
 * previous checkpoint or the new one.
 */
export async function saveCheckpoint(path: string, trainer: Trainer,
  position: { epoch: number; trainMs: number; history: readonly EpochRecord[]; meta?: Record<string, unknown> }): Promise<CheckpointFile> {
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT, version: 1, strategy: trainer.strategy.toString(),
    epoch: position.epoch, trainMs: position.trainMs, history: position.history,
    trainer: await trainer.checkpoint(), ...(position.meta ? { meta: position.meta } : {}),
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(file));
  return file;
}

/**
 * Reads and checks a checkpoint file completely (format, version, every
 * field and every tensor's value count), so a truncated or foreign file
 * gives an `ADVTRAIN_INVALID_CHECKPOINT` error before anything is loaded.
 */
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
    throw new AdvtrainError('ADVTRAIN_INVALID_CHECKPOINT',
      `${PKG}: checkpoint file ${JSON.stringify(path)} is not complete JSON (${(e as Error).message}); it may be truncated. Nothing was loaded.`);
  }
  if (typeof file !== 'object' || file === null || file.format !== CHECKPOINT_FORMAT || file.version !== 1) {
    throw new AdvtrainError('ADVTRAIN_INVALID_CHECKPOINT',
      `${PKG}: ${JSON.stringify(path)} is not an advtrain checkpoint file (expected format "${CHECKPOINT_FORMAT}", version 1; received format ${JSON.stringify((file as Partial<CheckpointFile> | null)?.format)}, version ${JSON.stringify((file as Partial<CheckpointFile> | null)?.version)}). Nothing was loaded.`);
  }
  const problem = checkpointProblem(file);
  if (problem) {
    throw new AdvtrainError('ADVTRAIN_INVALID_CHECKPOINT',
      `${PKG}: checkpoint file ${JSON.stringify(path)} is damaged: ${problem}. Nothing was loaded.`);
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

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function tensorProblem(t: unknown, where: string): string | null {
  const j = t as Partial<TensorJSON> | null;
  if (typeof j !== 'object' || j === null || !Array.isArray(j.shape) || !j.shape.every(isCount)) return `${where} has no shape`;
  if (j.dtype !== 'float32' && j.dtype !== 'int32' && j.dtype !== 'bool') return `${where} has dtype ${JSON.stringify(j.dtype)}`;
  const size = j.shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(j.values) || j.values.length !== size) {
    return `${where} holds ${Array.isArray(j.values) ? j.values.length : 'no'} values for shape [${j.shape.join(', ')}] (${size} expected)`;
  }
  if (!j.values.every((v) => typeof v === 'number')) return `${where} holds a value that is not a number`;
  return null;
}

/** The first thing wrong with a parsed checkpoint file, or null. */
function checkpointProblem(file: CheckpointFile): string | null {
  if (typeof file.strategy !== 'string') return 'the strategy description is missing';
  if (!isCount(file.epoch)) return 'the epoch is not a whole number';
  if (typeof file.trainMs !== 'number') return 'the training time is missing';
  if (!Array.isArray(file.history)) return 'the history is missing';
  const t = file.trainer as Partial<TrainerCheckpoint> | undefined;
  if (typeof t !== 'object' || t === null) return 'the trainer state is missing';
  if (!isCount(t.step)) return 'the trainer step is not a whole number';
  if (t.optimizerStep !== undefined && !isCount(t.optimizerStep)) return 'the optimizer step is not a whole number';
  if (typeof t.seed !== 'number') return 'the seed is missing';
  if (typeof t.strategy !== 'object' || t.strategy === null || typeof t.strategy.strategy !== 'string') return 'the strategy state is missing';
  if (!Array.isArray(t.variables)) return 'the variables are missing';
  for (let i = 0; i < t.variables.length; i++) {
    const p = tensorProblem(t.variables[i], `variable ${i}`);
    if (p) return p;
  }
  if (!Array.isArray(t.optimizer)) return 'the optimizer slots are missing';
  for (let i = 0; i < t.optimizer.length; i++) {
    const w = t.optimizer[i] as { name?: unknown; tensor?: unknown } | null;
    if (typeof w?.name !== 'string') return `optimizer slot ${i} has no name`;
    const p = tensorProblem(w.tensor, `optimizer slot ${i}`);
    if (p) return p;
  }
  return null;
}
