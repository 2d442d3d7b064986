// Evaluates the MNIST model released with "Fast is better than free" (Wong, Rice & Kolter 2020;
// locuslab/fast_adversarial MNIST/models/fgsm.pth, FGSM-trained at ε = 0.3) in tfjs: clean accuracy,
// PGD-50 with restarts, and AutoAttack. Convert the weights first:
//   python3 bench/convert-fast-adversarial-mnist.py <fast_adversarial>/MNIST/models/fgsm.pth /tmp/fgsm.json
//   node bench/fast-adversarial-mnist.mjs --weights /tmp/fgsm.json [--test 500] [--restarts 10]
// Run `pnpm build` first.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { load, prepare, tf } from './lib.mjs';

const { values } = parseArgs({ options: {
  weights: { type: 'string' }, test: { type: 'string', default: '500' }, epsilon: { type: 'string', default: '0.3' },
  restarts: { type: 'string', default: '10' }, backend: { type: 'string', default: 'wasm' }, version: { type: 'string', default: 'standard' },
} });
if (!values.weights) throw new Error('bench: pass --weights <file.json> written by bench/convert-fast-adversarial-mnist.py.');
await prepare(values.backend);
const { functionModel } = await load('@advtrain/core');
const { PGD_50_10_MNIST, autoAttack, cleanAccuracy, gradientMaskingWarnings, robustAccuracy } = await load('@advtrain/eval');
const { loadMnist } = await import(new URL('../examples/mnist-robustness/src/idx.mjs', import.meta.url).href);

// PyTorch layouts: conv [out, in, kh, kw] → tfjs [kh, kw, in, out]; linear [out, in] → [in, out].
const raw = JSON.parse(await readFile(values.weights, 'utf8'));
const tensor = (name) => tf.tensor(raw[name].values, raw[name].shape);
const conv = (name) => tf.variable(tf.tidy(() => tf.transpose(tensor(name), [2, 3, 1, 0])));
const dense = (name) => tf.variable(tf.tidy(() => tf.transpose(tensor(name))));
const bias = (name) => tf.variable(tensor(name));
const w = { c1: conv('0.weight'), b1: bias('0.bias'), c2: conv('2.weight'), b2: bias('2.bias'),
  d1: dense('5.weight'), e1: bias('5.bias'), d2: dense('7.weight'), e2: bias('7.bias') };
// Conv2d(k = 4, stride 2, padding 1) twice, then PyTorch's NCHW flatten order.
const convLayer = (x, k, b) => tf.relu(tf.add(tf.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), k, 2, 'valid'), b));
const view = functionModel({
  variables: Object.values(w), validRange: [0, 1],
  forward: (x) => tf.tidy(() => {
    const h = convLayer(convLayer(x, w.c1, w.b1), w.c2, w.b2);
    const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], -1]);
    return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, w.d1), w.e1)), w.d2), w.e2);
  }),
});

const epsilon = Number(values.epsilon);
const test = await loadMnist('test', Number(values.test));
const clean = (await cleanAccuracy(view, test)).accuracy;
let t0 = Date.now();
// The paper's protocol (evaluate_mnist.py): PGD-50, step 0.01, restarts, per-example early stop.
const pgd = await robustAccuracy(view, test, { ...PGD_50_10_MNIST.attack, epsilon, restarts: Number(values.restarts) }, { batchSize: 500 });
const pgdSeconds = (Date.now() - t0) / 1000;
const version = values.version.includes(',') ? values.version.split(',') : values.version;
const aa = await autoAttack(view, test, { epsilon, version, progress: process.stdout, batchSize: 500 });
const warnings = gradientMaskingWarnings({ epsilonCurve: [{ epsilon, accuracy: pgd.accuracy }], autoAttack: aa }).map((x) => x.code);
console.log(JSON.stringify({ model: 'fast_adversarial MNIST fgsm.pth', backend: values.backend, epsilon, test: test.x.shape[0],
  clean, pgd: { attack: pgd.attack, accuracy: pgd.accuracy, seconds: pgdSeconds }, autoAttack: { accuracy: aa.accuracy,
    after: aa.accuracyAfter, seconds: aa.seconds }, warnings }, null, 1));
