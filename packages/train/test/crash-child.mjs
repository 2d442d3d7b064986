// A training process for checkpoint-crash.test.ts: a tiny softmax regression trained with momentum,
// a crash-safe checkpoint file after every step (padded so writes take a while), resuming from the
// file when it exists. Prints "step <n>" after every step and writes the final weights to OUT.
//   env: CRASH_BACKEND_SETUP (test-config's common.js), CRASH_BACKEND (cpu | wasm),
//        CRASH_MODULES (folder of the compiled checkpoint-file.js), CRASH_DIR, CRASH_STEPS, CRASH_PADDING
import { existsSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { devNull } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = process.env;
const { useBackend } = await import(pathToFileURL(env.CRASH_BACKEND_SETUP).href);
await useBackend(env.CRASH_BACKEND);
const tf = await import('@tensorflow/tfjs-core');
const { Trainer, clean, functionModel } = await import('@advtrain/core');
const { loadCheckpoint, saveCheckpoint } = await import(pathToFileURL(join(env.CRASH_MODULES, 'checkpoint-file.js')).href);

const STEPS = Number(env.CRASH_STEPS ?? 40);
const PER_EPOCH = 10;
const path = join(env.CRASH_DIR, 'run.json');
const formula = (n, seed, scale) => Float32Array.from({ length: n }, (_, i) => scale * Math.sin(1.3 * i + 0.7 * seed + 0.01 * i * seed));
const w = tf.variable(tf.tensor2d(formula(32, 1, 0.5), [8, 4]), true, 'crash/W');
const b = tf.variable(tf.tensor1d(formula(4, 2, 0.1)), true, 'crash/b');
const view = functionModel({ variables: [w, b], validRange: [0, 1], inputShape: [null, 8], forward: (x) => tf.add(tf.matMul(x, w), b) });
const trainer = new Trainer(clean(), { view, optimizer: tf.train.momentum(0.05, 0.9), seed: 5 });
const padding = 'x'.repeat(Number(env.CRASH_PADDING ?? 0));

// CRASH_TEAR_AT=n: die by SIGKILL halfway through writing the checkpoint of step n (a torn write, deterministically).
const tearAt = env.CRASH_TEAR_AT ? Number(env.CRASH_TEAR_AT) : null;
if (tearAt !== null) {
  const probe = await open(devNull, 'r');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  const writeFileOriginal = proto.writeFile;
  proto.writeFile = async function writeFileTorn(data, options) {
    if (trainer.step !== tearAt) return writeFileOriginal.call(this, data, options);
    await this.write(String(data).slice(0, Math.floor(String(data).length / 2)));
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => {});
  };
}

if (existsSync(path)) {
  const file = await loadCheckpoint(path);
  await trainer.restore(file.trainer);
}
while (trainer.step < STEPS) {
  const i = trainer.step;
  const x = tf.tensor2d(formula(16 * 8, 100 + i, 0.5).map((v) => v + 0.5), [16, 8]);
  const y = tf.tensor1d(Array.from({ length: 16 }, (_, k) => (k * 3 + i) % 4), 'int32');
  await trainer.trainStep({ x, y }, { epoch: Math.floor(i / PER_EPOCH), index: i % PER_EPOCH, batchesPerEpoch: PER_EPOCH });
  tf.dispose([x, y]);
  await saveCheckpoint(path, trainer, {
    epoch: Math.floor(trainer.step / PER_EPOCH), trainMs: 0, history: [], meta: { step: trainer.step, padding },
  });
  process.stdout.write(`step ${trainer.step}\n`);
}
const weights = await Promise.all([w, b].map(async (v) => Array.from(await v.data())));
await writeFile(join(env.CRASH_DIR, 'final.json'), JSON.stringify(weights));
process.stdout.write('done\n');
