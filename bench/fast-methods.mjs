// Cost of the "fast" methods on wasm (prints; not a test). From the repo root,
// after `pnpm build`:  node bench/fast-methods.mjs [steps]
// Model: the MNIST CNN of "Fast is better than free" (conv 1→16 4×4/2 'same', ReLU,
// conv 16→32 4×4/2 'same', ReLU, dense 1568→100, ReLU, dense 100→10), batch 100
// of random [0, 1] data. Layer one (YOPO) = first conv + ReLU. Median over steps after warm-up.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const root = new URL('../packages/', import.meta.url);
const from = (pkg) => createRequire(new URL(`${pkg}/package.json`, root));
const load = async (pkg, name) => import(pathToFileURL(from(pkg).resolve(name)).href);
const tf = await load('backends', '@tensorflow/tfjs-core');
await load('backends', '@tensorflow/tfjs-layers'); // registers the gradient functions
await load('backends', '@tensorflow/tfjs-backend-wasm');
const { registerWasmTrainingKernels } = await import(new URL('backends/dist/index.js', root).href);
const { Trainer, clean, functionModel } = await import(new URL('core/dist/index.js', root).href);
const { freeAt } = await import(new URL('free-at/dist/index.js', root).href);
const { yopoPmp } = await import(new URL('yopo-pmp/dist/index.js', root).href);
const { pgd } = await import(new URL('pgd/dist/index.js', root).href);

await tf.setBackend('wasm');
await tf.ready();
// Conv2DBackpropFilter and friends. BACKPROP_INPUT=native keeps tfjs-backend-wasm's own
// Conv2DBackpropInput, which is faster for the 1-channel first layer of this model.
const backpropInput = process.env.BACKPROP_INPUT ?? 'conv2d';
registerWasmTrainingKernels({ conv2dBackpropInput: backpropInput });
const STEPS = Number(process.argv[2] ?? 10);
const WARMUP = 2;

function model() {
  const init = (shape, fanIn, seed) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', seed));
  const [k1, b1, k2, b2, w3, b3, w4, b4] = [
    init([4, 4, 1, 16], 16, 1), tf.variable(tf.zeros([16])), init([4, 4, 16, 32], 256, 2), tf.variable(tf.zeros([32])),
    init([1568, 100], 1568, 3), tf.variable(tf.zeros([100])), init([100, 10], 100, 4), tf.variable(tf.zeros([10]))];
  const variables = [k1, b1, k2, b2, w3, b3, w4, b4];
  const view = functionModel({
    variables, validRange: [0, 1],
    layerOne: { variables: [k1, b1], forward: (x) => tf.relu(tf.add(tf.conv2d(x, k1, 2, 'same'), b1)) },
    rest: (z) => {
      const h = tf.relu(tf.add(tf.conv2d(z, k2, 2, 'same'), b2));
      return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(tf.reshape(h, [-1, 1568]), w3), b3)), w4), b4);
    },
  });
  return { view, dispose: () => variables.forEach((v) => v.dispose()) };
}

const batch = { x: tf.randomUniform([100, 28, 28, 1], 0, 1, 'float32', 7), y: tf.randomUniform([100], 0, 10, 'int32', 8) };

async function measure(label, strategy) {
  const m = model();
  const optimizer = tf.train.momentum(0.01, 0.9);
  const trainer = new Trainer(strategy, { view: m.view, optimizer, seed: 1 });
  const times = [];
  let passes;
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    const report = await trainer.trainStep(batch); // reads the loss, so the step has finished
    if (i >= WARMUP) times.push(performance.now() - t0);
    passes = report.passes;
  }
  times.sort((a, b) => a - b);
  trainer.dispose(); optimizer.dispose(); m.dispose();
  return { label, ms: times[Math.floor(times.length / 2)], passes };
}

const rows = [
  await measure('clean', clean()),
  await measure('free-at m=4', freeAt({ replays: 4, epsilon: 0.3 })),
  await measure('pgd-10', pgd({ steps: 10, epsilon: 0.3, stepSize: 0.01 * 2.5 })),
  await measure('yopo-pmp 5-3', yopoPmp({ outerSteps: 5, innerSteps: 3, epsilon: 0.3, stepSize: 0.01 })),
];
const by = Object.fromEntries(rows.map((r) => [r.label, r]));
const fmt = (p) => `${p.forward}F+${p.backward}B full, ${p.layerOneForward}F+${p.layerOneBackward}B layer one, ${p.optimizerSteps} opt`;
console.log(`backend ${tf.getBackend()} (Conv2DBackpropInput: ${backpropInput}), batch 100, median of ${STEPS} steps after ${WARMUP} warm-up\n`);
console.log('| method | ms / minibatch | passes per minibatch (counter) |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.ms.toFixed(1)} | ${fmt(r.passes)} |`);
const clean4 = by.clean.ms * 4;
console.log(`\nfree-at m=4 / (clean × 4): ${(by['free-at m=4'].ms / clean4).toFixed(2)}  (per optimizer step: ${(by['free-at m=4'].ms / 4).toFixed(1)} ms vs clean ${by.clean.ms.toFixed(1)} ms; by pass count 1.00)`);
console.log(`yopo-pmp 5-3 / pgd-10: ${(by['yopo-pmp 5-3'].ms / by['pgd-10'].ms).toFixed(2)}  (by full-pass count ${by['yopo-pmp 5-3'].passes.forward}/${by['pgd-10'].passes.forward} = ${(by['yopo-pmp 5-3'].passes.forward / by['pgd-10'].passes.forward).toFixed(2)}, plus layer-one passes)`);
tf.dispose([batch.x, batch.y]);
