// Shared pieces of the benchmark suite (not a test): module loading from the workspace, the two
// models, the strategy table, and the timing / memory loops. Run `pnpm build` first.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const repo = new URL('../', import.meta.url);
// The examples depend on every package the suite needs, so their node_modules resolve them all.
const resolvers = ['examples/mnist-robustness', 'examples/spam-text', 'packages/backends']
  .map((dir) => createRequire(new URL(`${dir}/package.json`, repo)));
export async function load(name) {
  if (name.startsWith('@advtrain/')) return import(new URL(`packages/${name.slice(10)}/dist/index.js`, repo).href);
  for (const r of resolvers) {
    try {
      return await import(pathToFileURL(r.resolve(name)).href);
    } catch (e) {
      if (e?.code !== 'MODULE_NOT_FOUND' && e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  throw new Error(`bench: cannot resolve ${name}; run \`pnpm install && pnpm build\` first.`);
}

export const tf = await load('@tensorflow/tfjs-core');
const core = await load('@advtrain/core');
export const { Trainer, clean, chain } = core;
const { layersModelView } = core;
const tfl = await load('@tensorflow/tfjs-layers');
const { fgsm, FGSM_RS_PRESET } = await load('@advtrain/fgsm');
const { fgm } = await load('@advtrain/fgm');
const { pgd } = await load('@advtrain/pgd');
const { freeAt, freeAtNlp } = await load('@advtrain/free-at');
const { yopoPmp } = await load('@advtrain/yopo-pmp');
const { freelb } = await load('@advtrain/freelb');
const { smartRegularizer } = await load('@advtrain/smart-regularizer');
const { buildCnn } = await import(new URL('examples/mnist-robustness/src/model.mjs', repo).href);
const { buildTextModel } = await import(new URL('examples/spam-text/src/model.mjs', repo).href);

/** Prepares `backend`; on wasm, `options.threads` (default one per core), `xnnpackThreads` and `backpropInput` pick the setup. */
export async function prepare(backend, options = {}) {
  const { prepareBackend } = await load('@advtrain/backends');
  tf.enableProdMode();
  if (backend !== 'wasm') return prepareBackend(backend);
  return prepareBackend(backend, {
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.xnnpackThreads === undefined ? {} : { xnnpackThreads: options.xnnpackThreads }),
    ...(options.backpropInput === undefined ? {} : { wasmKernels: { conv2dBackpropInput: options.backpropInput } }),
  });
}

/**
 * YOPO's MNIST network (`experiments/MNIST/YOPO-5-10/network.py SmallCNN`, also TRADES'): layer one is
 * a small part of it, as in the networks the YOPO paper measures, unlike the "Fast is better than free" CNN.
 */
function buildSmallCnn(seed = 0) {
  const init = (k) => tfl.initializers.glorotUniform({ seed: seed * 10 + k });
  const conv = (filters, k, extra = {}) => tfl.layers.conv2d({ filters, kernelSize: 3, activation: 'relu', kernelInitializer: init(k), ...extra });
  const model = tfl.sequential({
    layers: [
      conv(32, 1, { inputShape: [28, 28, 1] }), conv(32, 2), tfl.layers.maxPooling2d({ poolSize: 2 }),
      conv(64, 3), conv(64, 4), tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.flatten(),
      tfl.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init(5) }),
      tfl.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init(6) }),
      tfl.layers.dense({ units: 10, kernelInitializer: init(7) }),
    ],
  });
  return { model, view: layersModelView(model, { validRange: [0, 1], layerOne: 0 }), dispose: () => model.dispose() };
}

/** Deterministic data, so every strategy and every run sees the same minibatch. */
function lcg(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

export const MODELS = {
  mnist: {
    title: 'MNIST CNN ("Fast is better than free": conv 1→16 4×4/2 same, ReLU, conv 16→32 4×4/2 same, ReLU, dense 100, ReLU, dense 10)',
    short: 'MNIST CNN', batch: 100, epsilon: 0.3, large: true,
    build: (seed = 0) => buildCnn(seed),
    batchOf(size, seed = 7) {
      const x = tf.tensor4d(lcg(size * 784, seed), [size, 28, 28, 1]);
      const y = tf.tensor1d(Int32Array.from(lcg(size, seed + 1), (v) => Math.floor(v * 10)), 'int32');
      return { x, y };
    },
  },
  smallcnn: {
    title: 'SmallCNN of YOPO and TRADES (conv 3×3 1→32, ReLU, conv 3×3 32→32, ReLU, max-pool 2, conv 3×3 32→64, ReLU, conv 3×3 64→64, ReLU, max-pool 2, dense 1024→200, ReLU, dense 200, ReLU, dense 10)',
    short: 'SmallCNN', batch: 100, epsilon: 0.3, large: true,
    build: (seed = 0) => buildSmallCnn(seed),
    batchOf: (size, seed = 7) => MODELS.mnist.batchOf(size, seed),
  },
  text: {
    title: 'text embedding model (spam-text: embedding 5000×32 → masked mean pool → dense 2; 128 tokens, perturbed at the embedding output)',
    short: 'text', batch: 64, epsilon: 1, vocab: 5000, length: 128, large: false,
    build: (seed = 0) => buildTextModel({ vocabSize: 5000, seed }),
    batchOf(size, seed = 7) {
      const T = 128;
      const lens = lcg(size, seed + 2);
      const u = lcg(size * T, seed);
      const ids = new Int32Array(size * T);
      const mask = new Float32Array(size * T);
      for (let b = 0; b < size; b++) {
        const n = 16 + Math.floor(lens[b] * (T - 16)); // 16..127 real tokens, the rest padding
        for (let t = 0; t < n; t++) { ids[b * T + t] = 1 + Math.floor(u[b * T + t] * 4999); mask[b * T + t] = 1; }
      }
      return {
        x: tf.tensor2d(ids, [size, T], 'int32'),
        mask: tf.tensor2d(mask, [size, T]),
        y: tf.tensor1d(Int32Array.from(lcg(size, seed + 1), (v) => (v < 0.5 ? 0 : 1)), 'int32'),
      };
    },
  },
};

/** name → { models it applies to, factory(ε) }. Settings follow the examples. */
export const STRATEGIES = {
  clean: { models: ['mnist', 'smallcnn', 'text'], make: () => clean() },
  fgsm: { models: ['mnist', 'text'], make: (e) => fgsm({ epsilon: e }) },
  'fgsm-rs': { models: ['mnist', 'text'], make: (e) => fgsm({ ...FGSM_RS_PRESET, epsilon: e, stepSize: 1.25 * e }) },
  fgm: { models: ['text'], make: (e) => fgm({ epsilon: e }) },
  'pgd-10': { models: ['mnist', 'smallcnn', 'text'], make: (e) => pgd({ epsilon: e, steps: 10, stepSize: 0.25 * e }) },
  'free-at m=4': {
    models: ['mnist', 'text'],
    make: (e, model) => (model === 'text' ? freeAtNlp({ replays: 4, epsilon: e }) : freeAt({ replays: 4, epsilon: e })),
  },
  'yopo-pmp 5-3': { models: ['mnist', 'smallcnn'], make: (e) => yopoPmp({ outerSteps: 5, innerSteps: 3, epsilon: e, stepSize: 0.01 }) },
  'freelb-3': { models: ['text'], make: (e) => freelb({ steps: 3, maxNorm: e, stepSize: e / 3, initMagnitude: e / 2 }) },
  'smart-regularizer': { models: ['text'], make: () => smartRegularizer({}) },
  'freelb+smart': {
    models: ['text'],
    make: (e) => chain(freelb({ steps: 3, maxNorm: e, stepSize: e / 3, initMagnitude: e / 2 }), smartRegularizer({ taskLoss: false })),
  },
};

const disposeBatch = (b) => tf.dispose([b.x, b.y, ...(b.mask ? [b.mask] : [])]);

function setup(modelName, strategyName) {
  const spec = MODELS[modelName];
  const model = spec.build(0);
  const strategy = STRATEGIES[strategyName].make(spec.epsilon, modelName);
  const optimizer = tf.train.momentum(0.01, 0.9);
  const trainer = new Trainer(strategy, { view: model.view, optimizer, seed: 1 });
  return { spec, model, strategy, optimizer, trainer, dispose: () => { trainer.dispose(); optimizer.dispose(); model.dispose(); } };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Median wall time of `trainer.trainStep` (which reads the loss back, so the step has finished)
 * over `steps` minibatches after `warmup`. A clean trainer on its own copy of the model runs
 * interleaved with the strategy (clean step, strategy step, clean step, …), so both medians see
 * the same machine load; the ratio to clean uses this paired clean median.
 */
export async function timeStrategy(modelName, strategyName, { steps, warmup, batchSize }) {
  const s = setup(modelName, strategyName);
  const c = strategyName === 'clean' ? null : setup(modelName, 'clean');
  const batch = s.spec.batchOf(batchSize ?? s.spec.batch);
  const times = [];
  const cleanTimes = [];
  let passes = null;
  for (let i = 0; i < warmup + steps; i++) {
    if (c) {
      const t1 = performance.now();
      await c.trainer.trainStep(batch);
      if (i >= warmup) cleanTimes.push(performance.now() - t1);
    }
    const t0 = performance.now();
    const report = await s.trainer.trainStep(batch);
    const ms = performance.now() - t0;
    if (i >= warmup) times.push(ms);
    passes = report.passes;
  }
  const declared = s.strategy.capabilities.passesPerBatch;
  const result = {
    model: modelName, strategy: strategyName, description: s.strategy.toString(), batch: batch.x.shape[0],
    steps, warmup, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times),
    pairedCleanMs: median(c ? cleanTimes : times),
    passes: { ...passes }, declared: { ...declared },
  };
  disposeBatch(batch);
  s.dispose();
  c?.dispose();
  return result;
}

/** Tensor count and bytes after 10 steps and after `steps` steps (same trainer, same batch). */
/** The wasm backend's heap (its WebAssembly memory) in bytes, or null on another backend. */
function heapBytes() {
  const wasm = tf.engine().backend.wasm;
  return wasm?.HEAPU8 ? wasm.HEAPU8.buffer.byteLength : null;
}

export async function memoryCheck(modelName, strategyName, { steps, batchSize }) {
  const s = setup(modelName, strategyName);
  const batch = s.spec.batchOf(batchSize);
  let at10 = null;
  let heapAt10 = null;
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    await s.trainer.trainStep(batch);
    if (i === Math.min(10, steps)) [at10, heapAt10] = [tf.memory(), heapBytes()];
  }
  const end = tf.memory();
  const result = {
    model: modelName, strategy: strategyName, batch: batchSize, steps,
    tensorsAt10: at10.numTensors, bytesAt10: at10.numBytes, tensorsAtEnd: end.numTensors, bytesAtEnd: end.numBytes,
    ...(heapAt10 === null ? {} : { heapAt10, heapAtEnd: heapBytes() }),
    seconds: (performance.now() - t0) / 1000,
  };
  disposeBatch(batch);
  s.dispose();
  return result;
}

/** Median ms of a 512³ float32 matrix product on the active backend: the ceiling of convolutions and dense layers. */
export async function gemmCost(reps = 20) {
  const [a, b] = [tf.randomNormal([512, 512], 0, 1, 'float32', 1), tf.randomNormal([512, 512], 0, 1, 'float32', 2)];
  const times = [];
  for (let i = 0; i < reps + 3; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    if (i >= 3) times.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  return median(times);
}

/** Cost of one probe-free sync: `await loss.data()` on a fresh scalar, to size the trainer's read-back. */
export async function syncCost(reps = 200) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = tf.scalar(i);
    const t0 = performance.now();
    await t.data();
    times.push(performance.now() - t0);
    t.dispose();
  }
  return median(times);
}

/**
 * The clean training step against the model's own forward pass (inference: `view.forward` with
 * training off, logits read back), interleaved step by step so both see the same machine load.
 */
export async function forwardVsStep(modelName, { steps, warmup }) {
  const s = setup(modelName, 'clean');
  const batch = s.spec.batchOf(s.spec.batch);
  const fwd = [];
  const step = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const logits = s.model.view.forward(batch, null, { training: false });
    await logits.data();
    const t1 = performance.now();
    logits.dispose();
    await s.trainer.trainStep(batch);
    const t2 = performance.now();
    if (i >= warmup) { fwd.push(t1 - t0); step.push(t2 - t1); }
  }
  disposeBatch(batch);
  s.dispose();
  return {
    model: modelName, steps, forwardMs: median(fwd), stepMs: median(step),
    forwardMinMs: Math.min(...fwd), stepMinMs: Math.min(...step),
  };
}
