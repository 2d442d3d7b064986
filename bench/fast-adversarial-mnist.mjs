// Imports the MNIST model released with "Fast is better than free" (Wong, Rice & Kolter 2020;
// locuslab/fast_adversarial MNIST/models/fgsm.pth, FGSM-trained at ε = 0.3) as a tfjs layers model, so
// `pnpm reproduce --evaluate` judges it exactly as it judges the recipes' models:
//   python3 bench/convert-fast-adversarial-mnist.py <fast_adversarial>/MNIST/models/fgsm.pth /tmp/fgsm.json
//   node bench/fast-adversarial-mnist.mjs --weights /tmp/fgsm.json --out /tmp/fgsm-pth
//   pnpm reproduce fgsm-rs-mnist --evaluate /tmp/fgsm-pth --json fgsm-pth.json
// The import is checked: the layers model's logits equal those of the PyTorch
// network written out op by op (padding 1, NCHW flatten) on 500 test images.
// Run `pnpm build` first.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { prepare, tf } from './lib.mjs';

const { values } = parseArgs({ options: {
  weights: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string', default: 'wasm' },
} });
if (!values.weights || !values.out) throw new Error('bench: pass --weights <file.json> (from bench/convert-fast-adversarial-mnist.py) and --out <folder>.');
await prepare(values.backend);
const { buildFastCnn } = await import(new URL('../examples/recipes/src/model.mjs', import.meta.url).href);
const { saveLayersModel } = await import(new URL('../examples/recipes/src/save-model.mjs', import.meta.url).href);
const { loadMnist } = await import(new URL('../examples/mnist-robustness/src/idx.mjs', import.meta.url).href);

const raw = JSON.parse(await readFile(values.weights, 'utf8'));
const torch = (name) => tf.tensor(raw[name].values, raw[name].shape);
// PyTorch layouts: conv [out, in, kh, kw] → tfjs [kh, kw, in, out]; linear [out, in] → [in, out].
const conv = (name) => tf.transpose(torch(name), [2, 3, 1, 0]);
const dense = (name) => tf.transpose(torch(name));
// The first dense layer reads PyTorch's C·H·W flatten; tfjs flattens H·W·C, so its rows are reordered.
const denseAfterFlatten = (name) => tf.reshape(tf.transpose(tf.reshape(dense(name), [32, 7, 7, 100]), [1, 2, 0, 3]), [1568, 100]);
const weights = [conv('0.weight'), torch('0.bias'), conv('2.weight'), torch('2.bias'),
  denseAfterFlatten('5.weight'), torch('5.bias'), dense('7.weight'), torch('7.bias')];

const { model, dispose } = buildFastCnn();
model.setWeights(weights);

// The network as PyTorch computes it, from the untouched weights.
const reference = (x) => tf.tidy(() => {
  const layer = (h, k, b) => tf.relu(tf.add(tf.conv2d(tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]]), conv(k), 2, 'valid'), torch(b)));
  const h = layer(layer(x, '0.weight', '0.bias'), '2.weight', '2.bias');
  const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], -1]);
  return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(flat, dense('5.weight')), torch('5.bias'))), dense('7.weight')), torch('7.bias'));
});
const test = await loadMnist('test', 500);
const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(test.x), reference(test.x)))));
const maxGap = (await gap.data())[0];
if (!(maxGap < 1e-4)) throw new Error(`bench: the imported model's logits differ from the PyTorch network's by ${maxGap}; the import is wrong.`);
await saveLayersModel(model, values.out);
console.log(`bench: wrote ${values.out} (largest logit difference from the PyTorch network on 500 test images: ${maxGap.toExponential(1)})`);
tf.dispose([gap, test.x, test.y, ...weights]);
dispose();
