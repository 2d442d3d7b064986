#!/usr/bin/env node
// Robustness per minute (a script; prints numbers, not a test). After `pnpm build`:
//
//   node bench/robustness-per-minute.mjs [--minutes 3] [--strategies pgd,fgsm-rs,free-at,yopo-pmp]
//        [--train-size 12000] [--eval-size 500] [--eval-every 20] [--eval-steps 20] [--backend wasm]
//
// Trains the MNIST example's CNN (examples/mnist-robustness: its model, IDX loader and strategy
// settings at ε = 0.3; YOPO is its YOPO-5-10 MNIST preset, FreeAT m = 4, PGD-10, FGSM-RS α = 1.25ε)
// for a wall-clock budget per strategy, and every --eval-every seconds of *training* time measures
// PGD robust accuracy (ε = 0.3, --eval-steps steps, 1 restart) on a fixed test subset. Evaluation
// time is not counted. Writes docs/robustness-per-minute.svg and bench/results/robustness-per-minute.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    minutes: { type: 'string', default: '3' },
    strategies: { type: 'string', default: 'pgd,fgsm-rs,free-at,yopo-pmp' },
    'train-size': { type: 'string', default: '12000' },
    'eval-size': { type: 'string', default: '500' },
    'eval-every': { type: 'string', default: '20' },
    'eval-steps': { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '100' },
    backend: { type: 'string', default: 'wasm' },
    svg: { type: 'string', default: here('../docs/robustness-per-minute.svg') },
    json: { type: 'string', default: here('./results/robustness-per-minute.json') },
  },
});

const lib = await import('./lib.mjs');
const { tf, Trainer } = lib;
const prepared = await lib.prepare(flags.backend);
const mnist = new URL('../examples/mnist-robustness/src/', import.meta.url);
const { loadMnist } = await import(new URL('idx.mjs', mnist).href);
const { buildCnn } = await import(new URL('model.mjs', mnist).href);
const { makeStrategy } = await import(new URL('strategies.mjs', mnist).href);
const { robustAccuracy, cleanAccuracy } = await lib.load('@advtrain/eval');
const { linePlot } = await import(new URL('../examples/kit/src/svg.mjs', import.meta.url).href);

const EPS = 0.3;
const budgetMs = Number(flags.minutes) * 60_000;
const everyMs = Number(flags['eval-every']) * 1000;
const B = Number(flags['batch-size']);
const train = await loadMnist('train', Number(flags['train-size']));
const test = await loadMnist('test', Number(flags['eval-size']));
const n = train.x.shape[0];
const attack = { epsilon: EPS, norm: 'linf', steps: Number(flags['eval-steps']), restarts: 1, seed: 0 };
console.log(`backend ${prepared.backend}; ${n} training, ${test.x.shape[0]} test examples; ${flags.minutes} min per strategy; PGD-${attack.steps} ε=${EPS}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

/** A fixed permutation per epoch (seeded), so every strategy sees the same batches in the same order. */
function order(epoch) {
  const idx = Array.from({ length: n }, (_, i) => i);
  let s = (epoch + 1) * 2654435761 >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

const runs = [];
for (const name of flags.strategies.split(',')) {
  const model = buildCnn(0);
  const strategy = await makeStrategy(name, { epsilon: EPS });
  const optimizer = tf.train.adam(1e-3);
  const trainer = new Trainer(strategy, { view: model.view, optimizer, seed: 0 });
  const points = [];
  const evaluate = async (trainMs, steps) => {
    const robust = (await robustAccuracy(model.view, test, attack, { batchSize: 250 })).accuracy;
    const clean = (await cleanAccuracy(model.view, test, { batchSize: 250 })).accuracy;
    points.push({ seconds: trainMs / 1000, steps, robust, clean });
    console.log(`${name}: ${(trainMs / 1000).toFixed(0)} s, ${steps} minibatches: clean ${(100 * clean).toFixed(1)} %, PGD ${(100 * robust).toFixed(1)} %`);
  };
  await evaluate(0, 0);
  let trainMs = 0;
  let nextEval = everyMs;
  let steps = 0;
  for (let epoch = 0; trainMs < budgetMs; epoch++) {
    const idx = order(epoch);
    for (let start = 0; start + B <= n && trainMs < budgetMs; start += B) {
      const ids = tf.tensor1d(Int32Array.from(idx.slice(start, start + B)), 'int32');
      const batch = { x: tf.gather(train.x, ids), y: tf.gather(train.y, ids) };
      const t0 = performance.now();
      await trainer.trainStep(batch);
      trainMs += performance.now() - t0;
      steps += 1;
      tf.dispose([ids, batch.x, batch.y]);
      if (trainMs >= nextEval || trainMs >= budgetMs) {
        await evaluate(trainMs, steps);
        nextEval += everyMs;
      }
    }
  }
  runs.push({ strategy: name, description: strategy.toString(), points, load1: loadavg()[0] });
  trainer.dispose();
  optimizer.dispose();
  model.dispose();
}

const summary = {
  backend: prepared.backend, minutes: Number(flags.minutes), trainSize: n, evalSize: test.x.shape[0],
  attack: `PGD-${attack.steps} linf ε=${EPS}, 1 restart`, finishedAt: new Date().toISOString(), loadAfter: loadavg(), runs,
};
mkdirSync(here('./results'), { recursive: true });
writeFileSync(flags.json, `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(flags.svg, `${linePlot({
  title: `MNIST ε=0.3: PGD-${attack.steps} accuracy against training time (${prepared.backend})`,
  xLabel: 'training wall-clock time (s), evaluation excluded', yLabel: `PGD-${attack.steps} accuracy (%)`,
  series: runs.map((r) => ({ name: r.strategy, points: r.points.map((p) => [p.seconds, p.robust]) })),
  width: 640,
})}\n`);
console.log(`wrote ${flags.json} and ${flags.svg}`);
tf.dispose([train.x, train.y, test.x, test.y]);
