#!/usr/bin/env node
// How a training step's time changes with the wasm backend's threads. After `pnpm build`:
//
//   node bench/threads-sweep.mjs [--threads 1,2,2/2] [--models mnist,text] [--strategies clean,pgd-10]
//                                [--rounds 3] [--steps 20] [--warmup 3]
//
// --threads lists the configurations: N is prepareBackend('wasm', { threads: N }), N/X adds xnnpackThreads: X.
// It defaults to 1 up to the number of cores, then the same with XNNPACK's pool as large. Each round runs one child process per thread count,
// one after the other, so that every count sees the same drift of the machine's speed; each child times
// every model and strategy as `pnpm bench` does (median ms per minibatch, interleaved with a clean step).
// Prints the median over rounds and writes bench/results/threads-sweep-wasm.json, which
// `pnpm bench -- --render` puts in docs/performance.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    child: { type: 'string' },
    threads: { type: 'string' },
    models: { type: 'string', default: 'mnist,text' },
    strategies: { type: 'string', default: 'clean,pgd-10' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});
const cases = flags.models.split(',').flatMap((model) => flags.strategies.split(',').map((strategy) => ({ model, strategy })));

if (flags.child !== undefined) {
  const lib = await import('./lib.mjs');
  const [threads, xnnpackThreads] = flags.child.split('/').map(Number);
  const prepared = await lib.prepare('wasm', { threads, ...(xnnpackThreads === undefined ? {} : { xnnpackThreads }) });
  const rows = [];
  for (const { model, strategy } of cases) {
    const r = await lib.timeStrategy(model, strategy, { steps: Number(flags.steps), warmup: Number(flags.warmup) });
    rows.push({ model, strategy, ms: r.medianMs });
  }
  console.log(JSON.stringify({ device: prepared.device, rows }));
  process.exit(0);
}

const cores = Math.max(2, availableParallelism());
const defaults = [...Array.from({ length: cores }, (_, i) => String(i + 1)), ...Array.from({ length: cores - 1 }, (_, i) => `${i + 2}/${i + 2}`)];
const counts = (flags.threads ?? defaults.join(',')).split(',');
const self = fileURLToPath(import.meta.url);
const samples = new Map(); // `${model} ${strategy} ${threads}` → ms per round
const devices = {};
for (let round = 1; round <= Number(flags.rounds); round++) {
  console.log(`round ${round}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const threads of counts) {
    const args = [self, '--child', String(threads), '--models', flags.models, '--strategies', flags.strategies,
      '--steps', flags.steps, '--warmup', flags.warmup];
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 900_000 });
    if (run.status !== 0) throw new Error(`threads-sweep: ${threads} threads failed (exit ${run.status}): ${run.stderr}`);
    const { device, rows } = JSON.parse(run.stdout.trim().split('\n').at(-1));
    devices[threads] = device;
    for (const r of rows) {
      const key = `${r.model} ${r.strategy} ${threads}`;
      samples.set(key, [...(samples.get(key) ?? []), r.ms]);
    }
    console.log(`  ${device}: ${rows.map((r) => `${r.model} ${r.strategy} ${r.ms.toFixed(1)} ms`).join(', ')}`);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rows = cases.map(({ model, strategy }) => ({
  model, strategy, ms: Object.fromEntries(counts.map((t) => [t, median(samples.get(`${model} ${strategy} ${t}`))])),
}));
for (const r of rows) console.log(`${r.model} ${r.strategy}: ${counts.map((t) => `${t} ${r.ms[t].toFixed(1)} ms`).join(', ')}`);
const out = flags.json ?? fileURLToPath(new URL('./results/threads-sweep-wasm.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ cores: availableParallelism(), rounds: Number(flags.rounds), steps: Number(flags.steps), threads: counts, devices, rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
