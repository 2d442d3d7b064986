// Each strategy's training step with and without @advtrain/backends' WebAssembly SIMD module, interleaved
// step by step on two copies of the model (prints numbers; not a test). After `pnpm build`:
//   node bench/simd-ab.mjs [model: mnist|text|smallcnn] [strategies, comma-separated] [steps, default 10]
import { load, MODELS, STRATEGIES, Trainer, prepare, tf } from './lib.mjs';

const [modelName = 'mnist', list = 'clean,fgsm-rs,pgd-10,free-at m=4,yopo-pmp 5-3', stepsArg = '10'] = process.argv.slice(2);
const { registerWasmTrainingKernels } = await load('@advtrain/backends');
const prepared = await prepare('wasm');
const spec = MODELS[modelName];
const steps = Number(stepsArg);
console.log(`${prepared.device}; ${modelName}, batch ${spec.batch}, median of ${steps} steps after 2, interleaved`);
for (const name of list.split(',')) {
  const modes = ['simd', 'xnnpack'];
  const trainers = Object.fromEntries(modes.map((m) => {
    const model = spec.build(0);
    return [m, new Trainer(STRATEGIES[name].make(spec.epsilon, modelName), { view: model.view, optimizer: tf.train.sgd(0.01), seed: 1 })];
  }));
  const batch = spec.batchOf(spec.batch);
  const times = { simd: [], xnnpack: [] };
  for (let r = 0; r < steps + 2; r++) {
    for (const m of modes) {
      registerWasmTrainingKernels({ simd: m === 'simd' });
      const t0 = performance.now();
      await trainers[m].trainStep(batch);
      if (r >= 2) times[m].push(performance.now() - t0);
    }
  }
  registerWasmTrainingKernels();
  const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const [s, x] = [med(times.simd), med(times.xnnpack)];
  console.log(`${name.padEnd(16)} SIMD ${s.toFixed(1).padStart(8)} ms   XNNPACK only ${x.toFixed(1).padStart(8)} ms   ×${(x / s).toFixed(2)} faster`);
}
