// Prints a per-kernel profile (tf.profile) of training steps of a strategy, after warm-up.
//   node bench/profile-step.mjs [strategy] [model] [--shapes] [--steps N] [--threads N]
//   e.g. node bench/profile-step.mjs "yopo-pmp 5-3" mnist
// --shapes groups the calls by kernel and input shapes (which op over which tensor costs what); --steps
// profiles N steps (default 1) and prints the mean per step; --threads sets the wasm backend's threads.
import { MODELS, STRATEGIES, Trainer, prepare, tf } from './lib.mjs';

const argv = process.argv.slice(2);
const flag = (name, fallback) => { const i = argv.indexOf(name); return i < 0 ? fallback : Number(argv.splice(i, 2)[1]); };
const steps = flag('--steps', 1);
const threads = flag('--threads', undefined);
const byShape = argv.includes('--shapes');
const [strategyName = 'clean', modelName = 'mnist'] = argv.filter((a) => a !== '--shapes');
await prepare('wasm', threads === undefined ? {} : { threads });
const spec = MODELS[modelName];
const model = spec.build(0);
const trainer = new Trainer(STRATEGIES[strategyName].make(spec.epsilon, modelName), { view: model.view, optimizer: tf.train.sgd(0.01), seed: 1 });
const batch = spec.batchOf(spec.batch);
for (let i = 0; i < 3; i++) await trainer.trainStep(batch);
const t0 = performance.now();
const info = await tf.profile(async () => { for (let i = 0; i < steps; i++) await trainer.trainStep(batch); });
const total = (performance.now() - t0) / steps;
const byKernel = new Map();
for (const k of info.kernels) {
  const key = byShape ? `${k.name} ${k.inputShapes.map((shape) => `[${shape ?? ''}]`).join(' ')}` : k.name;
  const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
  e.ms += (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0) / steps;
  e.calls += 1 / steps;
  byKernel.set(key, e);
}
const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0);
console.log(`${strategyName} on ${modelName}: step ${total.toFixed(1)} ms (profiled, mean of ${steps}), kernels ${kernelMs.toFixed(1)} ms in ${info.kernels.length / steps} calls`);
for (const [name, e] of rows.slice(0, byShape ? 25 : 15)) console.log(`  ${name.padEnd(byShape ? 60 : 28)} ${e.ms.toFixed(1).padStart(8)} ms  ×${e.calls}`);
