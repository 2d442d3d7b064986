// Trains one seeded MLP on a GPU backend (webgl or webgpu) and on wasm in the same page.
// tfjs has one active backend at a time, so the two runs take turns step by step: each has its
// own variables, optimizer and batches, created while its backend is active, and every step
// switches with tf.setBackend first, so no tensor ever crosses backends.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { prepareBackend } from '@advtrain/backends';
import { Trainer, clean, functionModel } from '@advtrain/core';
import { fgsm, FGSM_RS_PRESET } from '@advtrain/fgsm';
import { pgd } from '@advtrain/pgd';
import { freeAt } from '@advtrain/free-at';

export const STRATEGIES = ['clean', 'fgsm', 'fgsm-rs', 'pgd', 'free-at'];
export const GPU_BACKENDS = ['webgl', 'webgpu'];
export const DEFAULTS = Object.freeze({
  strategy: 'pgd', gpu: 'webgl', steps: 30, batchSize: 64, epsilon: 0.1, learningRate: 0.01, seed: 0, hidden: 64,
});

// prepareBackend loads packages with a dynamic import(name); a bundle needs literal specifiers.
const MODULES = {
  '@tensorflow/tfjs-backend-wasm': () => import('@tensorflow/tfjs-backend-wasm'),
  '@tensorflow/tfjs-backend-webgl': () => import('@tensorflow/tfjs-backend-webgl'),
  '@tensorflow/tfjs-backend-webgpu': () => import('@tensorflow/tfjs-backend-webgpu'),
  '@tensorflow/tfjs-layers': () => import('@tensorflow/tfjs-layers'),
};
export function importModule(specifier) {
  const load = MODULES[specifier];
  if (load) return load();
  return Promise.reject(Object.assign(new Error(`Cannot find module '${specifier}' (not bundled in examples/browser)`), { code: 'ERR_MODULE_NOT_FOUND' }));
}

let wasmConfigured = false;
/** Points tfjs-backend-wasm at dist/wasm/, where the build copies its binaries. */
export function configureWasm() {
  if (wasmConfigured) return;
  wasmConfigured = true;
  setWasmPaths(new URL('./wasm/', document.baseURI).href);
}

/**
 * prepareBackend's options per backend. The page is cross-origin isolated, so wasm runs one thread per
 * core; its workers load the threaded build's script, which the build copies next to the binaries.
 */
function optionsFor(name) {
  const common = { importModule, allowSoftwareGpu: true };
  if (name !== 'wasm') return common;
  return { importModule, wasmThreadsScript: new URL('./wasm/tfjs-backend-wasm-threaded-simd.js', document.baseURI).href };
}

const prepared = new Map();
/** prepareBackend once per backend (it registers gradients and wasm kernels), tf.setBackend after. */
export async function activate(name) {
  if (!prepared.has(name)) {
    prepared.set(name, prepareBackend(name, optionsFor(name)).catch((error) => {
      prepared.delete(name);
      throw error;
    }));
    return prepared.get(name);
  }
  const info = await prepared.get(name);
  if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  return info;
}

/** A WebGPU adapter description, or null when navigator.gpu has none. */
export async function probeWebGpu() {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'adapter';
  } catch {
    return null;
  }
}

/** The MNIST subset written by scripts/assets.mjs: pixels in [0, 1] as [n, 784] and int32 labels. */
export async function loadSubset(url = new URL('./mnist-subset.bin', document.baseURI)) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`examples/browser: ${url} answered ${response.status}; run the build first.`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const view = new DataView(bytes.buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'ADVM') throw new Error('examples/browser: mnist-subset.bin has a bad header.');
  const n = view.getUint32(4, true);
  const features = view.getUint32(8, true) * view.getUint32(12, true);
  const pixels = new Float32Array(n * features);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[16 + i] / 255;
  const labels = Int32Array.from(bytes.subarray(16 + n * features, 16 + n * features + n));
  return { n, features, pixels, labels };
}

/** mulberry32: the initial weights come from JavaScript, so both backends start from the same numbers. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot-uniform weights and zero biases of a features–hidden–10 MLP, as plain arrays. */
export function initialWeights(features, hidden, seed) {
  const next = rng(seed * 7919 + 17);
  const glorot = (fanIn, fanOut) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (2 * next() - 1) * limit);
  };
  return {
    w1: { values: glorot(features, hidden), shape: [features, hidden] },
    b1: { values: new Float32Array(hidden), shape: [hidden] },
    w2: { values: glorot(hidden, 10), shape: [hidden, 10] },
    b2: { values: new Float32Array(10), shape: [10] },
  };
}

export function makeStrategy(name, epsilon) {
  switch (name) {
    case 'clean': return clean();
    case 'fgsm': return fgsm({ epsilon });
    case 'fgsm-rs': return fgsm({ ...FGSM_RS_PRESET, epsilon, stepSize: 1.25 * epsilon });
    case 'pgd': return pgd({ epsilon, steps: 5, stepSize: 0.5 * epsilon });
    case 'free-at': return freeAt({ epsilon, replays: 4 });
    default: throw new Error(`examples/browser: unknown strategy ${JSON.stringify(name)}; use one of ${STRATEGIES.join(', ')}.`);
  }
}

/** Everything one backend's run owns; built while that backend is active. */
function createRun(weights, config) {
  const vars = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, tf.variable(tf.tensor(w.values, w.shape), true, `${k}_${tf.getBackend()}`)]));
  const view = functionModel({
    variables: [vars.w1, vars.b1, vars.w2, vars.b2],
    validRange: [0, 1],
    forward: (x) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, vars.w1), vars.b1)), vars.w2), vars.b2),
  });
  const optimizer = tf.train.adam(config.learningRate);
  const trainer = new Trainer(makeStrategy(config.strategy, config.epsilon), { view, optimizer, seed: config.seed });
  return {
    trainer,
    dispose() {
      trainer.dispose?.();
      optimizer.dispose();
      for (const v of Object.values(vars)) v.dispose();
    },
  };
}

function batchAt(data, step, batchSize) {
  const start = (step * batchSize) % data.n;
  const size = Math.min(batchSize, data.n - start);
  return {
    x: tf.tensor2d(data.pixels.subarray(start * data.features, (start + size) * data.features), [size, data.features]),
    y: tf.tensor1d(data.labels.subarray(start, start + size), 'int32'),
  };
}

/**
 * Trains `config.steps` steps on [config.gpu, 'wasm'], alternating. `onUpdate(results)` is called
 * after every step. Returns results keyed by backend: { losses, stepMs, device, done, error }.
 */
export async function trainSideBySide(data, config, onUpdate = () => {}) {
  const backends = [config.gpu, 'wasm'];
  const results = Object.fromEntries(backends.map((b) => [b, { backend: b, device: '', losses: [], stepMs: [], done: false, error: null }]));
  const weights = initialWeights(data.features, config.hidden, config.seed);
  const runs = new Map();
  for (const b of backends) {
    try {
      const info = await activate(b);
      results[b].device = info.device;
      runs.set(b, createRun(weights, config));
    } catch (error) {
      results[b].error = String(error?.message ?? error);
      results[b].done = true;
    }
  }
  onUpdate(results);
  try {
    for (let step = 0; step < config.steps; step++) {
      for (const b of backends) {
        const run = runs.get(b);
        if (!run || results[b].error) continue;
        try {
          await activate(b);
          const batch = batchAt(data, step, config.batchSize);
          const t0 = performance.now();
          const report = await run.trainer.trainStep(batch);
          results[b].stepMs.push(performance.now() - t0);
          results[b].losses.push(report.loss);
          tf.dispose([batch.x, batch.y]);
        } catch (error) {
          results[b].error = String(error?.message ?? error);
          results[b].done = true;
        }
        onUpdate(results);
        // Let the page paint between steps.
        await new Promise((r) => setTimeout(r, 0));
      }
    }
  } finally {
    for (const [b, run] of runs) {
      try {
        await activate(b);
        run.dispose();
      } catch { /* the run already failed */ }
      results[b].done = true;
    }
  }
  onUpdate(results);
  return results;
}
