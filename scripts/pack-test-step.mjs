// Runs inside one packed-install project of scripts/pack-test.sh:
// `node pack-test-step.mjs <package folder>` imports that package from its
// tarball and trains one step with it (two for the strategies, to see the loss fall).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

const pkg = process.argv[2];
tf.enableProdMode();
await tf.setBackend('wasm');

const fail = (message) => { throw new Error(`pack test ${pkg}: ${message}`); };

/** An input-site view: 2 layers over 6 features in [0, 1], with a layer-one split for YOPO. */
async function inputModel() {
  const { functionModel } = await import('@advtrain/core');
  const w0 = tf.variable(tf.randomNormal([6, 8], 0, 0.5, 'float32', 1), true, 'w0');
  const w1 = tf.variable(tf.randomNormal([8, 2], 0, 0.5, 'float32', 2), true, 'w1');
  const first = (x) => tf.relu(tf.matMul(x, w0));
  const rest = (z) => tf.matMul(z, w1);
  const view = functionModel({
    variables: [w0, w1], validRange: [0, 1],
    layerOne: { variables: [w0], forward: first }, rest,
  });
  const x = tf.tensor2d([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]]);
  return { view, batch: { x, y: tf.tensor1d([0, 1], 'int32') } };
}

/** An embedding-site view: a text classifier perturbed at its embedding output. */
async function embeddingModel() {
  const { functionModel } = await import('@advtrain/core');
  const table = tf.variable(tf.randomNormal([20, 8], 0, 0.5, 'float32', 1), true, 'table');
  const w = tf.variable(tf.randomNormal([8, 2], 0, 0.5, 'float32', 2), true, 'w');
  const view = functionModel({
    site: 'embedding', variables: [table, w], padId: 0, hiddenSize: 8,
    embed: (ids) => tf.reshape(tf.matMul(tf.oneHot(tf.reshape(tf.cast(ids, 'int32'), [-1]), 20), table), [...ids.shape, 8]),
    head: (e) => tf.matMul(tf.mean(e, 1), w),
  });
  return { view, batch: { x: tf.tensor2d([[1, 2, 3, 0], [4, 5, 6, 7]], [2, 4], 'int32'), y: tf.tensor1d([0, 1], 'int32') } };
}

/**
 * Two steps with one strategy; the loss must be finite (and fall, unless the
 * reported loss has a regularizer that may grow) and no tensor may leak.
 */
async function trainTwice(strategy, { view, batch }, mustFall = true) {
  const { Trainer } = await import('@advtrain/core');
  const trainer = new Trainer(strategy, { view, optimizer: tf.train.sgd(0.1) });
  const before = tf.memory().numTensors;
  const first = await trainer.trainStep(batch);
  const second = await trainer.trainStep(batch);
  if (!Number.isFinite(first.loss) || !Number.isFinite(second.loss)) fail(`loss not finite: ${first.loss} -> ${second.loss}`);
  if (mustFall && !(second.loss < first.loss)) fail(`loss did not fall: ${first.loss} -> ${second.loss}`);
  trainer.dispose(); // frees the strategy's state
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) fail(`leaked ${leaked} tensors`);
  return `loss ${first.loss.toFixed(4)} -> ${second.loss.toFixed(4)}, passes ${JSON.stringify(first.passes)}`;
}

let report;
switch (pkg) {
  case 'core': {
    const { Trainer, clean } = await import('@advtrain/core');
    // tfjs-core alone registers no gradients: the trainer must say what to do.
    const { view } = await embeddingModel();
    let code = null;
    try { new Trainer(clean(), { view, optimizer: tf.train.sgd(0.1) }); } catch (e) { code = e.code; }
    if (code !== 'ADVTRAIN_NO_GRADIENTS') fail(`expected ADVTRAIN_NO_GRADIENTS, got ${code}`);
    await import('@tensorflow/tfjs-layers'); // registers every gradient function
    report = await trainTwice(clean(), await inputModel());
    break;
  }
  case 'backends': {
    const { prepareBackend } = await import('@advtrain/backends');
    const prepared = await prepareBackend('wasm');
    const w = tf.variable(tf.zeros([3, 1]));
    const x = tf.tensor2d([[1, 2, 3]]);
    const loss = () => tf.sum(tf.square(tf.sub(tf.matMul(x, w), 1)));
    const optimizer = tf.train.sgd(0.01);
    const first = (await loss().data())[0];
    optimizer.minimize(loss);
    const second = (await loss().data())[0];
    if (!(second < first)) fail(`loss did not fall: ${first} -> ${second}`);
    report = `${prepared.device}, patched ${prepared.kernelsPatched.length} kernels, loss ${first.toFixed(4)} -> ${second.toFixed(4)}`;
    break;
  }
  case 'eval': {
    await import('@tensorflow/tfjs-layers');
    const { clean } = await import('@advtrain/core');
    const { cleanAccuracy, robustAccuracy } = await import('@advtrain/eval');
    const model = await inputModel();
    report = await trainTwice(clean(), model);
    const accuracy = await cleanAccuracy(model.view, model.batch);
    const robust = await robustAccuracy(model.view, model.batch, { epsilon: 0.1, steps: 3 });
    report += `; clean accuracy ${accuracy.accuracy}, PGD-3 accuracy ${robust.accuracy}`;
    break;
  }
  case 'train': {
    await import('@tensorflow/tfjs-layers');
    const { Trainer, clean } = await import('@advtrain/core');
    const { fit } = await import('@advtrain/train');
    const { view, batch } = await inputModel();
    const trainer = new Trainer(clean(), { view, optimizer: tf.train.sgd(0.1) });
    const result = await fit(trainer, batch, { epochs: 2, batchSize: 2, progress: false });
    if (result.steps !== 2) fail(`expected 2 steps, got ${result.steps}`);
    report = `${result.steps} steps, mean losses ${result.history.map((e) => e.meanLoss.toFixed(4)).join(' -> ')}`;
    break;
  }
  default: {
    await import('@tensorflow/tfjs-layers');
    const strategies = {
      fgm: ['@advtrain/fgm', 'fgm', { epsilon: 1 }, embeddingModel],
      fgsm: ['@advtrain/fgsm', 'fgsm', { epsilon: 0.1 }, inputModel],
      pgd: ['@advtrain/pgd', 'pgd', { epsilon: 0.1, steps: 2, stepSize: 0.05 }, inputModel],
      'free-at': ['@advtrain/free-at', 'freeAt', { epsilon: 0.1, replays: 2 }, inputModel],
      'yopo-pmp': ['@advtrain/yopo-pmp', 'yopoPmp', { epsilon: 0.1 }, inputModel],
      freelb: ['@advtrain/freelb', 'freelb', {}, embeddingModel],
      'smart-regularizer': ['@advtrain/smart-regularizer', 'smartRegularizer', {}, embeddingModel, false],
    };
    const entry = strategies[pkg] ?? fail('unknown package');
    const [name, factory, options, model, mustFall = true] = entry;
    const mod = await import(name);
    report = await trainTwice(mod[factory](options), await model(), mustFall);
  }
}
console.log(`pack test: @advtrain/${pkg} from its tarball on ${tf.getBackend()}: ${report}`);
