// Before/after cost of the trainer's batch validation and non-finite guard on a wasm MNIST step.
// "before" is a copy of @advtrain/core's dist taken before the change (pass its folder as the first
// argument); "after" is the built packages/core/dist. Both trainers run interleaved on their own copy
// of the model with the same batch, so both medians see the same machine load.
//   node bench/validation-overhead.mjs packages/core/node_modules/.advtrain-before/dist [rounds]
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { MODELS, STRATEGIES, prepare, tf, Trainer } from './lib.mjs';

const before = await import(pathToFileURL(resolve(process.argv[2] ?? 'packages/core/node_modules/.advtrain-before/dist', 'index.js')).href);
const rounds = Number(process.argv[3] ?? 40);
await prepare('wasm');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

for (const name of ['clean', 'pgd-10']) {
  const spec = MODELS.mnist;
  const make = (TrainerClass) => {
    const model = spec.build(0);
    const optimizer = tf.train.momentum(0.01, 0.9);
    const trainer = new TrainerClass(STRATEGIES[name].make(spec.epsilon, 'mnist'), { view: model.view, optimizer, seed: 1 });
    return { trainer, dispose: () => { trainer.dispose(); optimizer.dispose(); model.dispose(); } };
  };
  const a = make(before.Trainer);
  const b = make(Trainer);
  const batch = spec.batchOf(spec.batch);
  const times = { before: [], after: [] };
  for (let i = 0; i < rounds + 3; i++) {
    const order = i % 2 ? [['before', a], ['after', b]] : [['after', b], ['before', a]];
    for (const [label, run] of order) {
      const t0 = performance.now();
      await run.trainer.trainStep(batch);
      if (i >= 3) times[label].push(performance.now() - t0);
    }
  }
  const mb = median(times.before);
  const ma = median(times.after);
  console.log(`${name.padEnd(7)} wasm MNIST CNN batch ${spec.batch}: before ${mb.toFixed(2)} ms, after ${ma.toFixed(2)} ms (median of ${rounds}, interleaved), change ${(100 * (ma / mb - 1)).toFixed(2)} %`);
  tf.dispose([batch.x, batch.y]);
  a.dispose();
  b.dispose();
}
