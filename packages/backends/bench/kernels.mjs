// Benchmarks for @advtrain/backends: MNIST-CNN training step per backend, and wasm kernel timings
// before/after registerWasmTrainingKernels, and our SIMD module against the XNNPACK compositions. Run `pnpm build` first, then `pnpm bench`.
// Options: RUNS=n (default 10), WEBGPU=0 to skip webgpu, THREADS=n the wasm backend's threads (default 1).
import * as tf from '@tensorflow/tfjs-core';
import { randn } from './data.mjs';
import '@tensorflow/tfjs-backend-cpu';
import { prepareBackend, registerWasmTrainingKernels, unregisterWasmTrainingKernels } from '../dist/index.js';

const RUNS = Number(process.env.RUNS ?? 10);
const THREADS = Number(process.env.THREADS ?? 1);
let WARMUP = 2;

/** Median wall time (ms) of `runs` calls after `WARMUP` calls; `fn` may be async. */
async function median(fn, runs = RUNS) {
  for (let i = 0; i < (runs > 1 ? WARMUP : 0); i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** "Fast is better than free" MNIST net: conv 1->16 4x4 s2, conv 16->32 4x4 s2, dense 1568->100->10. */
function mnistNet() {
  const v = (shape, seed, fanIn) => tf.variable(randn(shape, seed, 2 / Math.sqrt(fanIn)));
  const w = { c1: v([4, 4, 1, 16], 1, 16), c2: v([4, 4, 16, 32], 2, 256), d1: v([1568, 100], 3, 1568), d2: v([100, 10], 4, 100) };
  const forward = (x) => {
    const h1 = tf.relu(tf.conv2d(x, w.c1, 2, 'same'));
    const h2 = tf.relu(tf.conv2d(h1, w.c2, 2, 'same'));
    const h3 = tf.relu(tf.matMul(tf.reshape(h2, [x.shape[0], 1568]), w.d1));
    return tf.matMul(h3, w.d2);
  };
  return { w, forward, dispose: () => tf.dispose(Object.values(w)) };
}

async function stepTime(backend, batch, runs) {
  await tf.setBackend(backend);
  const net = mnistNet();
  const x = randn([batch, 28, 28, 1], 5);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10);
  const opt = tf.train.sgd(0.01);
  const ms = await median(async () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.forward(x)), true);
    await loss.data();
    loss.dispose();
  }, runs);
  tf.dispose([x, y]);
  opt.dispose();
  net.dispose();
  return ms;
}

const rows = [];
const row = (what, ms, note = '') => {
  rows.push({ what, ms: ms === undefined ? '-' : ms.toFixed(2), note });
  console.log(`${what.padEnd(64)} ${(ms === undefined ? '-' : ms.toFixed(2)).padStart(10)} ms  ${note}`);
};

console.log(`node ${process.version}, ${RUNS} runs after ${WARMUP} warm-up, median\n`);
console.log('== MNIST CNN training step (forward + backward + SGD) ==');
const prepared = await prepareBackend('wasm', { threads: THREADS });
console.log(`wasm device: ${prepared.device}`);
row('wasm, batch 100, our kernels', await stepTime('wasm', 100, RUNS));
registerWasmTrainingKernels({ conv2dBackpropInput: 'native' });
row('wasm, batch 100, our kernels but native Conv2DBackpropInput', await stepTime('wasm', 100, RUNS));
registerWasmTrainingKernels({ batchMatMul: 'native' });
row('wasm, batch 100, our kernels but native transposed BatchMatMul', await stepTime('wasm', 100, RUNS));
registerWasmTrainingKernels();
row('cpu, batch 10 (cpu conv dW is naive)', await stepTime('cpu', 10, 3), 'batch reduced 10x');
if (process.env.WEBGPU !== '0') {
  try {
    const gpu = await prepareBackend('webgpu');
    row(`webgpu, batch 100 (${gpu.device})`, await stepTime('webgpu', 100, 3), gpu.software ? 'software adapter' : '');
  } catch (error) {
    row('webgpu', undefined, `skipped: ${error.message}`);
  }
}

console.log('\n== wasm kernels: before (tfjs-backend-wasm 4.22 as shipped) vs after (registerWasmTrainingKernels) ==');
await tf.setBackend('wasm');
async function kernelTime(name, inputs, attrs, backend = 'wasm', runs = RUNS) {
  await tf.setBackend(backend);
  const ins = Object.fromEntries(Object.entries(inputs).map(([k, make]) => [k, make()]));
  const ms = await median(async () => {
    const out = tf.engine().runKernel(name, ins, attrs);
    if (backend !== 'wasm') await out.data();
    out.dispose();
  }, runs);
  tf.dispose(Object.values(ins));
  return ms;
}
const cases = [
  ['Conv2DBackpropFilter', 'conv2 of the MNIST net: x [100,14,14,16], dy [100,7,7,32]',
    { x: () => randn([100, 14, 14, 16], 6), dy: () => randn([100, 7, 7, 32], 7) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [4, 4, 16, 32] }],
  ['Conv2DBackpropInput', 'conv2 of the MNIST net: dy [100,7,7,32], filter [4,4,16,32]',
    { dy: () => randn([100, 7, 7, 32], 8), filter: () => randn([4, 4, 16, 32], 9) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [100, 14, 14, 16] }],
  ['MaxPoolGrad', '2x2/2 pool of [100,28,28,16]',
    { dy: () => randn([100, 14, 14, 16], 10), input: () => randn([100, 28, 28, 16], 11), output: () => randn([100, 14, 14, 16], 12) },
    { filterSize: 2, strides: 2, pad: 'valid' }],
  ['BatchMatMul', 'dense dW: [100,1568]^T x [100,100] (transposeA)',
    { a: () => randn([100, 1568], 14), b: () => randn([100, 100], 15) },
    { transposeA: true, transposeB: false }],
  ['UnsortedSegmentSum', 'embedding grad: 8192 rows x 64 into vocab 20000',
    { x: () => randn([8192, 64], 13), segmentIds: () => tf.tensor1d(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 20000), 'int32') },
    { numSegments: 20000 }, 'cpu kernel loops once per segment; skipped'],
  ['GatherV2', 'embedding lookup: 8192 ids into a [5000,32] table',
    { x: () => randn([5000, 32], 16), indices: () => tf.tensor1d(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 5000), 'int32') },
    { axis: 0, batchDims: 0 }],
  ['Sum', 'mean-pool numerator: [64,128,32] over axis 1', { x: () => randn([64, 128, 32], 17) }, { axis: [1], keepDims: false }],
  ['Mean', 'mean over tokens: [64,128,32] over axis 1', { x: () => randn([64, 128, 32], 18) }, { axis: [1], keepDims: false }],
  ['Sum', 'conv bias gradient: [100,14,14,16] over axes 0-2', { x: () => randn([100, 14, 14, 16], 19) }, { axis: [0, 1, 2], keepDims: false }],
  ['Transpose', 'identity permutation of [8192,32] (gather gradient)', { x: () => randn([8192, 32], 20) }, { perm: [0, 1] }],
  ['Sign', 'FGSM/PGD step direction: [64,128,32]', { x: () => randn([64, 128, 32], 21) }, {}],
  ['Tile', 'broadcast a scalar to [64,128,32] (tf.where with a scalar condition)', { x: () => randn([1, 1, 1], 22) }, { reps: [64, 128, 32] }],
];
for (const [name, what, inputs, attrs, skipBefore] of cases) {
  unregisterWasmTrainingKernels();
  const before = skipBefore ? { ms: NaN, note: skipBefore } : tf.getKernel(name, 'wasm')
    ? { ms: await kernelTime(name, inputs, attrs), note: 'wasm built-in' }
    : { ms: await kernelTime(name, inputs, attrs, 'cpu', 1), note: 'missing on wasm; cpu kernel shown (1 run)' };
  registerWasmTrainingKernels();
  row(`${name} before: ${what}`, before.ms, before.note);
  row(`${name} after`, await kernelTime(name, inputs, attrs), `x${(before.ms / (await kernelTime(name, inputs, attrs))).toFixed(1)} faster`);
}

console.log('\n== wasm: our SIMD module vs the XNNPACK compositions (registerWasmTrainingKernels({ simd: false })) ==');
console.log('interleaved run by run; median ms and the minimum of the same runs');
await tf.setBackend('wasm');
const simdCases = [
  ['Conv2DBackpropFilter', 'conv2 of the MNIST net: x [100,14,14,16], dy [100,7,7,32]', cases[0][2], cases[0][3]],
  ['Conv2DBackpropFilter', 'conv1 of the MNIST net: x [100,28,28,1], dy [100,14,14,16]',
    { x: () => randn([100, 28, 28, 1], 23), dy: () => randn([100, 14, 14, 16], 24) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [4, 4, 1, 16] }],
  ['Conv2DBackpropInput', 'conv2 of the MNIST net: dy [100,7,7,32], filter [4,4,16,32]', cases[1][2], cases[1][3]],
  ['Conv2DBackpropInput', 'conv1 of the MNIST net (FreeAT, YOPO): dy [100,14,14,16] onto [100,28,28,1]',
    { dy: () => randn([100, 14, 14, 16], 25), filter: () => randn([4, 4, 1, 16], 26) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [100, 28, 28, 1] }],
  ['BatchMatMul', 'dense dW: [100,1568]^T x [100,100] (transposeA)', cases[3][2], cases[3][3]],
  ['BatchMatMul', 'dense dx: [100,100] x [1568,100]^T (transposeB)',
    { a: () => randn([100, 100], 29), b: () => randn([1568, 100], 30) }, { transposeA: false, transposeB: true }],
  ['BatchMatMul', 'dense forward: [100,1568] x [1568,100]',
    { a: () => randn([100, 1568], 31), b: () => randn([1568, 100], 32) }, { transposeA: false, transposeB: false }],
  ['Conv2D', 'conv2 of the MNIST net: x [100,14,14,16], filter [4,4,16,32]',
    { x: () => randn([100, 14, 14, 16], 33), filter: () => randn([4, 4, 16, 32], 34) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 }],
  ['Conv2D', 'conv1 of the MNIST net: x [100,28,28,1], filter [4,4,1,16]',
    { x: () => randn([100, 28, 28, 1], 35), filter: () => randn([4, 4, 1, 16], 36) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 }],
  ['Sign', '[64,128,32]', { x: () => randn([64, 128, 32], 21) }, {}],
  ['AdvtrainClipByValueGrad', 'ClipByValue gradient, [100,28,28,1] clamped to [0, 1]',
    { x: () => randn([100, 28, 28, 1], 27), dy: () => randn([100, 28, 28, 1], 28) }, { clipValueMin: 0, clipValueMax: 1 }],
];
for (const [name, what, inputs, attrs] of simdCases) {
  const ins = Object.fromEntries(Object.entries(inputs).map(([k, make]) => [k, make()]));
  const times = { simd: [], xnnpack: [] };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const mode of ['simd', 'xnnpack']) {
      registerWasmTrainingKernels({ simd: mode === 'simd' });
      const t0 = performance.now();
      tf.engine().runKernel(name, ins, attrs).dispose();
      if (i >= WARMUP) times[mode].push(performance.now() - t0);
    }
  }
  registerWasmTrainingKernels();
  tf.dispose(Object.values(ins));
  const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
  row(`${name} XNNPACK: ${what}`, med(times.xnnpack), `min ${Math.min(...times.xnnpack).toFixed(2)}`);
  row(`${name} SIMD`, med(times.simd), `min ${Math.min(...times.simd).toFixed(2)}, x${(med(times.xnnpack) / med(times.simd)).toFixed(1)} faster`);
}
