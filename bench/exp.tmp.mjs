import { MODELS, STRATEGIES, Trainer, prepare, tf } from './lib.mjs';
const [threads, pool, strat = 'clean'] = process.argv.slice(2);
const p = await prepare('wasm', { threads: Number(threads) });
const { simdKernelsOf } = await import('../packages/backends/dist/kernels/simd/module.js');
const simd = simdKernelsOf(tf.engine().backend);
if (pool === 'nopool') simd.threads = 1;
const spec = MODELS.mnist; const model = spec.build(0);
const trainer = new Trainer(STRATEGIES[strat].make(spec.epsilon, 'mnist'), { view: model.view, optimizer: tf.train.sgd(0.01), seed: 1 });
const batch = spec.batchOf(spec.batch);
for (let i = 0; i < 5; i++) await trainer.trainStep(batch);
const ms = []; const c0 = process.cpuUsage(); const w0 = performance.now();
for (let i = 0; i < 30; i++) { const t0 = performance.now(); await trainer.trainStep(batch); ms.push(performance.now() - t0); }
const cu = process.cpuUsage(c0); console.log('cpu/wall', ((cu.user + cu.system) / 1000 / (performance.now() - w0)).toFixed(2));
ms.sort((a, b) => a - b);
console.log(`${threads} ${pool} ${strat}: median ${ms[15].toFixed(1)} min ${ms[0].toFixed(1)} (${p.device})`);
