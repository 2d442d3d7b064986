#!/usr/bin/env node
// How a training step's time grows with the batch size. After `pnpm build`:
//
//   node bench/batch-sweep.mjs [--backend wasm] [--models mnist,text] [--strategies clean,pgd-10]
//                              [--batches 10,25,50,100,200] [--steps 10] [--warmup 2]
//
// For each model, strategy and batch size: the median ms per minibatch (each strategy interleaved
// with a clean step, as in `pnpm bench`) and ms per example. Writes
// bench/results/batch-sweep-<backend>.json, which `pnpm bench -- --render` puts in docs/performance.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    models: { type: 'string', default: 'mnist,text' },
    strategies: { type: 'string', default: 'clean,pgd-10' },
    batches: { type: 'string', default: '10,25,50,100,200' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});
const lib = await import('./lib.mjs');
const prepared = await lib.prepare(flags.backend, flags.threads === undefined ? {} : { threads: Number(flags.threads) });
const rows = [];
for (const model of flags.models.split(',')) {
  for (const strategy of flags.strategies.split(',')) {
    for (const batchSize of flags.batches.split(',').map(Number)) {
      const r = await lib.timeStrategy(model, strategy, { steps: Number(flags.steps), warmup: Number(flags.warmup), batchSize });
      rows.push({ model, strategy, batch: r.batch, medianMs: r.medianMs, cleanMs: r.pairedCleanMs, passes: r.passes });
      console.log(`${model} ${strategy} batch ${r.batch}: ${r.medianMs.toFixed(1)} ms (${(r.medianMs / r.batch).toFixed(3)} ms per example)`);
    }
  }
}
const out = flags.json ?? fileURLToPath(new URL(`./results/batch-sweep-${flags.backend}.json`, import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ backend: flags.backend, device: prepared.device, steps: Number(flags.steps), rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
