#!/usr/bin/env node
// `pnpm bench`: the benchmark suite. It prints numbers and is not a test. After `pnpm build`:
//
//   pnpm bench [-- --backend wasm|cpu|webgpu] [--models mnist,text] [--strategies clean,pgd-10,...]
//              [--steps 20] [--warmup 3] [--memory-steps 1000] [--memory-batch 10] [--no-memory]
//              [--json bench/results/performance-<backend>.json] [--out docs/performance.md] [--render]
//
// For each model and strategy: median ms per minibatch over --steps after --warmup, the ratio to a
// clean step, the pass counter's counts, the overhead (see docs/performance.md for the definition),
// and tf.memory() after 10 and after --memory-steps steps (1000 is the documented value; a small
// --memory-batch keeps it quick). --render rewrites docs/performance.md from the JSON files only
// (after bench/pytorch_peer.py has written bench/results/pytorch-peer*.json, one file per PyTorch).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { recipeMinutes, renderMarkdown } from './render.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    backend: { type: 'string', default: 'wasm' },
    threads: { type: 'string' },
    models: { type: 'string', default: 'mnist,text' },
    strategies: { type: 'string' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'memory-steps': { type: 'string', default: '1000' },
    'memory-batch': { type: 'string', default: '10' },
    'no-memory': { type: 'boolean', default: false },
    json: { type: 'string' },
    out: { type: 'string', default: here('../docs/performance.md') },
    render: { type: 'boolean', default: false },
    'allow-large': { type: 'boolean', default: false },
  },
});
const jsonPath = flags.json ?? here(`./results/performance-${flags.backend}.json`);

function render() {
  const runs = ['wasm', 'cpu', 'webgpu'].map((b) => here(`./results/performance-${b}.json`)).filter(existsSync)
    .map((p) => JSON.parse(readFileSync(p, 'utf8')));
  const read = (dir, pattern) => readdirSync(here(dir)).filter((f) => pattern.test(f)).sort()
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(here(`${dir}/${f}`), 'utf8')) }));
  const peers = read('./results', /^pytorch-peer.*\.json$/);
  // The published recipe runs, and the timing runs made alone on the machine (any number of threads).
  const ours = [...read('../docs/results/recipes', /-seed\d+(-timing)?\.json$/),
    ...read('./results', /^recipe-.*-threads\d+-timing\.json$/).map((f) => ({ ...f, aloneOnMachine: true }))];
  const recipes = { ours: recipeMinutes(ours), peers: read('./results', /^pytorch-recipes.*\.json$/) };
  writeFileSync(flags.out, renderMarkdown(runs, peers, undefined, recipes));
  console.log(`wrote ${flags.out}`);
}

if (flags.render) {
  render();
  process.exit(0);
}

const lib = await import('./lib.mjs');
const { tf, MODELS, STRATEGIES, timeStrategy, memoryCheck, syncCost, gemmCost, forwardVsStep } = lib;
const prepared = await lib.prepare(flags.backend, flags.threads === undefined ? {} : { threads: Number(flags.threads) });
const models = flags.models.split(',').filter(Boolean);
const wanted = flags.strategies ? flags.strategies.split(',').map((s) => s.trim()) : Object.keys(STRATEGIES);
for (const s of wanted) if (!STRATEGIES[s]) throw new Error(`bench: unknown strategy ${s}; use ${Object.keys(STRATEGIES).join(', ')}`);
if (!wanted.includes('clean')) wanted.unshift('clean');
const steps = Number(flags.steps);
const warmup = Number(flags.warmup);
const memorySteps = Number(flags['memory-steps']);
const memoryBatch = Number(flags['memory-batch']);

const loadBefore = loadavg();
console.log(`backend ${prepared.backend} (${prepared.device}); ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
const sync = await syncCost();
const gemm = await gemmCost();
console.log(`512³ matMul: ${gemm.toFixed(2)} ms (${(2 * 512 ** 3 / gemm / 1e6).toFixed(1)} GFLOP/s)`);
console.log(`one read-back (await scalar.data()): ${sync.toFixed(3)} ms`);

// The earlier run: its rows of models not measured now are kept, and with --no-memory its memory rows too.
const earlier = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : null;
const results = [];
const forward = [];
for (const model of models) {
  const spec = MODELS[model];
  if (!spec) throw new Error(`bench: unknown model ${model}; use ${Object.keys(MODELS).join(', ')}`);
  if (spec.large && flags.backend === 'cpu' && !flags['allow-large']) {
    console.log(`skipping ${model} on cpu (tfjs-backend-cpu's naive conv gradients take tens of seconds a step; --allow-large to force)`);
    continue;
  }
  console.log(`\n${spec.title}, batch ${spec.batch}`);
  const fv = await forwardVsStep(model, { steps: Math.max(steps, 20), warmup: Math.max(warmup, 5) });
  forward.push(fv);
  console.log(`forward ${fv.forwardMs.toFixed(1)} ms, clean step ${fv.stepMs.toFixed(1)} ms: step ÷ forward ${(fv.stepMs / fv.forwardMs).toFixed(2)} (minima ${fv.forwardMinMs.toFixed(1)} / ${fv.stepMinMs.toFixed(1)} ms: ${(fv.stepMinMs / fv.forwardMinMs).toFixed(2)})`);
  console.log('| strategy | ms / minibatch | paired clean ms | × clean | full F/B | layer-one F/B | opt steps | overhead |');
  for (const name of wanted) {
    if (!STRATEGIES[name].models.includes(model)) continue;
    const load = loadavg()[0];
    const r = await timeStrategy(model, name, { steps, warmup });
    r.load1 = load;
    r.cleanMs = r.pairedCleanMs; // the clean step timed alongside (interleaved), not the first row
    r.ratio = r.medianMs / r.cleanMs;
    r.overhead = r.medianMs / (r.passes.forward * r.cleanMs);
    r.perOptimizerStepMs = r.medianMs / Math.max(1, r.passes.optimizerSteps);
    if (!flags['no-memory']) Object.assign(r, { memory: await memoryCheck(model, name, { steps: memorySteps, batchSize: memoryBatch }) });
    else {
      const old = earlier?.results.find((x) => x.model === model && x.strategy === name)?.memory;
      if (old) r.memory = { ...old, carriedOver: earlier.finishedAt };
    }
    results.push(r);
    const p = r.passes;
    const mem = r.memory ? `; tensors ${r.memory.tensorsAt10} → ${r.memory.tensorsAtEnd} after ${memorySteps}` : '';
    console.log(`| ${name} | ${r.medianMs.toFixed(1)} | ${r.cleanMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${p.forward}/${p.backward} | ${p.layerOneForward}/${p.layerOneBackward} | ${p.optimizerSteps} | ${r.overhead.toFixed(2)} |${mem}`);
  }
}

// Rows of models not measured this time (e.g. --models mnist) come from the earlier run.
if (earlier) results.push(...earlier.results.filter((r) => !models.includes(r.model)).map((r) => ({ ...r, from: r.from ?? earlier.finishedAt })));
if (earlier?.forward) forward.push(...earlier.forward.filter((f) => !models.includes(f.model)));
const run = {
  backend: prepared.backend, device: prepared.device, node: process.version, tfjs: tf.version_core,
  cores: cpus().length, cpu: cpus()[0]?.model, loadBefore, loadAfter: loadavg(), syncMs: sync, gemm512Ms: gemm,
  steps, warmup,
  memorySteps: earlier && flags['no-memory'] ? earlier.memorySteps : memorySteps,
  memoryBatch: earlier && flags['no-memory'] ? earlier.memoryBatch : memoryBatch,
  memoryFrom: earlier && flags['no-memory'] ? earlier.finishedAt : null,
  finishedAt: new Date().toISOString(), forward, results,
};
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
console.log(`\nwrote ${jsonPath}; load average after: ${run.loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
render();
