// MNIST CNN ("Fast is better than free") training step on wasm: forward, clean step, input gradient,
// step ÷ forward, and a per-kernel profile of one step, for each Conv2DBackpropInput choice; mode 'xnnpack'
// is every kernel without our SIMD module (registerWasmTrainingKernels({ simd: false })).
// Run `pnpm --filter @advtrain/backends build` first, then `node packages/backends/bench/step.mjs`.
// Options: RUNS=n (default 25), BATCH=n (default 100), MODES=simd,xnnpack,... (default: all), PROFILE=0,
// THREADS=n the wasm backend's threads (default 1).
import * as tf from '@tensorflow/tfjs-core';
import { randn } from './data.mjs';
import { prepareBackend, registerWasmTrainingKernels } from '../dist/index.js';

const RUNS = Number(process.env.RUNS ?? 25);
const THREADS = Number(process.env.THREADS ?? 1);
const WARMUP = 5;
const BATCH = Number(process.env.BATCH ?? 100);
const MODES = (process.env.MODES ?? 'simd,xnnpack,sub-pixel,conv2d,native').split(',');
const optionsOf = (mode) => (mode === 'xnnpack' ? { simd: false } : { conv2dBackpropInput: mode });

async function median(fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

await prepareBackend('wasm', { threads: THREADS });
const v = (shape, seed, fanIn) => tf.variable(randn(shape, seed, 2 / Math.sqrt(fanIn)));
const w = { c1: v([4, 4, 1, 16], 1, 16), c2: v([4, 4, 16, 32], 2, 256), d1: v([1568, 100], 3, 1568), d2: v([100, 10], 4, 100) };
const forward = (x) => {
  const h1 = tf.relu(tf.conv2d(x, w.c1, 2, 'same'));
  const h2 = tf.relu(tf.conv2d(h1, w.c2, 2, 'same'));
  const h3 = tf.relu(tf.matMul(tf.reshape(h2, [x.shape[0], 1568]), w.d1));
  return tf.matMul(h3, w.d2);
};

const x = randn([BATCH, 28, 28, 1], 5);
const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10);
const lossOf = (input) => tf.losses.softmaxCrossEntropy(y, forward(input));
const opt = tf.train.sgd(1e-4);
const vars = Object.values(w);

const fwd = async () => { const out = tf.tidy(() => forward(x)); await out.data(); out.dispose(); };
const step = async () => {
  const { value, grads } = tf.variableGrads(() => lossOf(x), vars);
  opt.applyGradients(grads);
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
};
const inputGrad = async () => { const g = tf.grad(lossOf)(x); await g.data(); g.dispose(); };

console.log(`node ${process.version}, tfjs ${tf.version_core} wasm, batch ${BATCH}, median of ${RUNS} after ${WARMUP} warm-up`);
console.log(`loadavg at start: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
const header = 'conv2dBackpropInput'.padEnd(22) + ['forward', 'step', 'dL/dx', 'step÷fwd', 'dL/dx÷fwd'].map((s) => s.padStart(11)).join('');
// Modes and measurements are interleaved run by run, so load from other processes hits them alike.
const jobs = [['forward', fwd], ['step', step], ['dL/dx', inputGrad]];
const times = Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(jobs.map(([j]) => [j, []]))]));
const before = tf.memory().numTensors;
for (let i = 0; i < WARMUP + RUNS; i++) {
  for (const mode of MODES) {
    registerWasmTrainingKernels(optionsOf(mode));
    for (const [job, fn] of jobs) {
      const t0 = performance.now();
      await fn();
      if (i >= WARMUP) times[mode][job].push(performance.now() - t0);
    }
  }
}
if (tf.memory().numTensors !== before) throw new Error(`leaked ${tf.memory().numTensors - before} tensors`);
const med = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
// Medians, then minimums (the minimum is the figure least disturbed by other processes).
const lines = [...MODES, ...MODES.map((m) => `${m} (min)`)].map((label) => {
  const mode = label.replace(' (min)', '');
  const stat = label.endsWith('(min)') ? (a) => Math.min(...a) : med;
  const [f, s, g] = jobs.map(([j]) => stat(times[mode][j]));
  return label.padEnd(22) + [f, s, g].map((ms) => ms.toFixed(1).padStart(11)).join('')
    + (s / f).toFixed(2).padStart(11) + (g / f).toFixed(2).padStart(11);
});
if (process.env.PROFILE !== '0') {
  for (const mode of MODES) {
    registerWasmTrainingKernels(optionsOf(mode));
    for (const [what, fn] of jobs) {
      const prof = await tf.profile(fn);
      const byKernel = new Map();
      for (const k of prof.kernels) {
        const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
        e.ms += k.kernelTimeMs; e.n += 1;
        byKernel.set(k.name, e);
      }
      const top = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6);
      console.log(`${mode} profile of one ${what}: ${top.map(([n, e]) => `${n}×${e.n} ${e.ms.toFixed(1)}`).join(', ')}`);
    }
  }
  console.log('');
}
registerWasmTrainingKernels();
console.log(header);
for (const line of lines) console.log(line);
console.log(`\nloadavg at end: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
