// AutoAttack against PGD on a small MNIST MLP trained with PGD, and on the same weights behind an input
// quantiser (a gradient-masking defence: round(x·k)/k has zero gradient almost everywhere).
// Run `pnpm build` first. Usage: node bench/auto-attack.mjs [--test 200] [--epsilon 0.1] [--backend wasm]
import { parseArgs } from 'node:util';
import { load, prepare, tf, Trainer } from './lib.mjs';

const { values } = parseArgs({ options: {
  test: { type: 'string', default: '200' }, train: { type: 'string', default: '20000' }, epochs: { type: 'string', default: '3' },
  epsilon: { type: 'string', default: '0.1' }, backend: { type: 'string', default: 'wasm' }, levels: { type: 'string', default: '4' },
} });
await prepare(values.backend);
const tfl = await load('@tensorflow/tfjs-layers');
const { layersModelView, functionModel } = await load('@advtrain/core');
const { pgd } = await load('@advtrain/pgd');
const { fit } = await load('@advtrain/train');
const { autoAttack, cleanAccuracy, gradientMaskingWarnings, robustAccuracy } = await load('@advtrain/eval');
const { loadMnist } = await import(new URL('../examples/mnist-robustness/src/idx.mjs', import.meta.url).href);

const epsilon = Number(values.epsilon);
const init = (k) => tfl.initializers.glorotUniform({ seed: k });
const model = tfl.sequential({ layers: [
  tfl.layers.flatten({ inputShape: [28, 28, 1] }),
  tfl.layers.dense({ units: 200, activation: 'relu', kernelInitializer: init(1) }),
  tfl.layers.dense({ units: 10, kernelInitializer: init(2) }),
] });
const view = layersModelView(model, { validRange: [0, 1] });
const train = await loadMnist('train', Number(values.train));
const optimizer = tf.train.adam(1e-3);
const trainer = new Trainer(pgd({ epsilon, steps: 7, stepSize: epsilon / 4 }), { view, optimizer, seed: 1 });
let t0 = Date.now();
await fit(trainer, train, { epochs: Number(values.epochs), batchSize: 100, progress: false });
console.log(`PGD-7 training, ${values.train} images × ${values.epochs} epochs: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const test = await loadMnist('test', Number(values.test));
const levels = Number(values.levels);
const masked = functionModel({ variables: model.trainableWeights.map((w) => w.read()), validRange: [0, 1],
  forward: (x) => model.apply(tf.div(tf.round(tf.mul(x, levels)), levels), { training: false }) });
const rows = [];
for (const [name, v] of [['PGD-trained MLP', view], [`same MLP behind round(x·${levels})/${levels}`, masked]]) {
  const clean = (await cleanAccuracy(v, test)).accuracy;
  t0 = Date.now();
  const pgd20 = (await robustAccuracy(v, test, { epsilon, steps: 20 })).accuracy;
  const pgdSeconds = (Date.now() - t0) / 1000;
  const aa = await autoAttack(v, test, { epsilon, progress: process.stdout });
  const warnings = gradientMaskingWarnings({ epsilonCurve: [{ epsilon, accuracy: pgd20 }], autoAttack: aa }).map((w) => w.code);
  rows.push({ model: name, clean, pgd20, pgdSeconds, autoAttack: aa.accuracy, after: aa.accuracyAfter, seconds: aa.seconds, warnings });
}
console.log(JSON.stringify({ backend: values.backend, epsilon, test: Number(values.test), rows }, null, 1));
tf.dispose([train.x, train.y, test.x, test.y]);
