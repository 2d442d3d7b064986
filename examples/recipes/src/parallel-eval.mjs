import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WORKER = new URL('./eval-worker.mjs', import.meta.url).pathname;
/** Minibatch of every evaluation; shard boundaries fall on its multiples, so PGD draws the same numbers however many processes run. */
export const EVAL_BATCH = 500;

/** Splits [from, to) into at most `parts` contiguous ranges whose inner boundaries are multiples of `align`. */
export function splitRange(from, to, parts, align) {
  const blocks = Math.ceil((to - from) / align);
  const k = Math.max(1, Math.min(parts, blocks));
  const ranges = [];
  for (let i = 0; i < k; i++) {
    const start = from + Math.floor((i * blocks) / k) * align;
    const end = Math.min(to, from + Math.floor(((i + 1) * blocks) / k) * align);
    if (end > start) ranges.push({ start, count: end - start });
  }
  return ranges;
}

function runWorker(task) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve()
      : reject(new Error(`reproduce: the evaluation process of images ${task.ranges.map((r) => `${r.start}–${r.start + r.count - 1}`).join(', ')} failed (${signal ?? `exit ${code}`}).`))));
  });
}

/** Runs one task per process at once; returns each process's result and the wall seconds of the whole. */
async function inParallel(base, perProcess) {
  const dir = await mkdtemp(join(tmpdir(), 'advtrain-eval-'));
  const t0 = performance.now();
  try {
    const tasks = perProcess.map((ranges, i) => ({ ...base, ranges, progress: i === 0, out: join(dir, `${i}.json`) }));
    await Promise.all(tasks.map(runWorker));
    const outs = await Promise.all(tasks.map(async (t) => JSON.parse(await readFile(t.out, 'utf8'))));
    return { outs, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sum = (xs, f) => xs.reduce((s, x) => s + f(x), 0);

/**
 * The recipe's protocol on the first `testSize` test images and AutoAttack's
 * standard suite on the first `autoattack` of them, for the layers model
 * saved in `dir`, each split over `workers` processes (wasm runs one thread
 * per process, so one process per core). The protocol's figure on the
 * AutoAttack images is counted from the same run. Seconds are wall time;
 * `cpuSeconds` adds up every process. `attack` replaces the protocol's PGD settings.
 */
export async function evaluateSavedModel({ recipe, dir, testSize, autoattack, workers, backend, seed = 0, batchSize = EVAL_BATCH, attack = null }) {
  const base = { recipe, dir, backend, batchSize, seed, attack };
  const aaImages = Math.min(autoattack, testSize);
  // Split at the AutoAttack images' end too, so their PGD figure is read off the same run.
  const ranges = [...splitRange(0, aaImages, workers, batchSize), ...splitRange(aaImages, testSize, workers, batchSize)];
  const perProcess = Array.from({ length: Math.min(workers, ranges.length) }, () => []);
  // Largest first onto the least loaded process.
  for (const r of [...ranges].sort((a, b) => b.count - a.count)) {
    perProcess.sort((a, b) => sum(a, (x) => x.count) - sum(b, (x) => x.count))[0].push(r);
  }
  for (const p of perProcess) p.sort((a, b) => a.start - b.start);
  const pgd = await inParallel({ ...base, kind: 'protocol' }, perProcess.filter((p) => p.length));
  const rows = pgd.outs.flatMap((o) => o.results);
  const head = rows.filter((r) => r.start < aaImages);
  const evaluation = {
    clean: sum(rows, (r) => r.clean) / testSize, robust: sum(rows, (r) => r.correct) / testSize, attack: rows[0].attack,
    evalSeconds: pgd.seconds, evalCpuSeconds: sum(pgd.outs, (o) => o.cpuSeconds), workers: perProcess.length,
  };
  if (aaImages === 0) return { ...evaluation, autoAttack: null };
  const aa = await inParallel({ ...base, kind: 'autoattack' }, splitRange(0, aaImages, workers, batchSize).map((r) => [r]));
  const parts = aa.outs.flatMap((o) => o.results);
  const names = Object.keys(parts[0].survivors);
  return {
    ...evaluation,
    autoAttack: {
      images: aaImages, pgd: sum(head, (r) => r.correct) / aaImages, pgdSeconds: sum(head, (r) => r.seconds),
      accuracy: sum(parts, (r) => r.correct) / aaImages, seconds: aa.seconds, cpuSeconds: sum(aa.outs, (o) => o.cpuSeconds), workers: parts.length,
      accuracyAfter: Object.fromEntries(names.map((k) => [k, sum(parts, (r) => r.survivors[k]) / aaImages])),
      secondsPerAttack: Object.fromEntries(names.map((k) => [k, sum(parts, (r) => r.attackSeconds[k])])),
    },
  };
}
