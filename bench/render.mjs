// Renders docs/performance.md from the suite's JSON (bench/results/performance-<backend>.json)
// and, when present, the PyTorch peer comparisons (bench/results/pytorch-peer*.json).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const f1 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(1));
const f2 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const notesPath = fileURLToPath(new URL('./performance-notes.md', import.meta.url));

const TITLES = {
  mnist: 'MNIST CNN of "Fast is better than free" (conv 1→16 4×4/2 same, ReLU, conv 16→32 4×4/2 same, ReLU, dense 100, ReLU, dense 10), batch 100, ε = 0.3',
  text: 'Text embedding model (spam-text: embedding 5000×32 → masked mean pool → dense 2; 128 tokens), batch 64, perturbed at the embedding output, ε = 1',
  smallcnn: 'SmallCNN of YOPO and TRADES (four 3×3 convs 1→32→32→64→64 with ReLU, max-pool 2 after the second and fourth, dense 1024→200→200→10), MNIST, batch 100, ε = 0.3',
};

/** Peer rows keyed by our strategy names. */
const PEER_NAMES = { clean: 'clean', 'fgsm-rs': 'fgsm-rs', 'pgd-10': 'pgd-10', 'free-at m=4': 'free-at m=4', 'yopo-pmp 5-3': 'yopo-pmp 5-3', 'freelb-3': 'freelb-3' };

/** One backend's figures: environment, a table per model, the memory check. No dates or load figures: they are not for users. */
function runSection(run, sweep, threads) {
  const lines = [];
  lines.push(`## Measured on ${run.backend}`, '');
  lines.push(`${run.device}; Node ${run.node.replace(/^v/, '')}, tfjs-core ${run.tfjs}, on a ${run.cores}-core ${run.cpu.replace(/\(R\)/g, '')} machine. Each figure is the median time of one training step over ${run.steps} steps (after ${run.warmup} warm-up steps); "× clean" divides it by a clean step timed alongside it.`, '');
  for (const model of [...new Set(run.results.map((r) => r.model))]) {
    const rows = run.results.filter((x) => x.model === model);
    lines.push(`### ${TITLES[model] ?? model}`, '');
    lines.push('| strategy | ms per minibatch | × clean | full passes (forward / backward) | first-layer passes | optimizer steps | ms per optimizer step | overhead |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const p = r.passes;
      lines.push(`| ${r.strategy} | ${f1(r.medianMs)} | ${f2(r.ratio)} | ${p.forward} / ${p.backward} | ${p.layerOneForward} | ${p.optimizerSteps} | ${f1(r.perOptimizerStepMs)} | ${f2(r.overhead)} |`);
    }
    lines.push('');
  }
  const mem = run.results.filter((r) => r.memory);
  if (mem.length) {
    const grew = mem.filter((r) => r.memory.tensorsAtEnd !== r.memory.tensorsAt10 || r.memory.bytesAtEnd !== r.memory.bytesAt10);
    const steps = Math.max(...mem.map((r) => r.memory.steps));
    lines.push('### Memory', '');
    lines.push(grew.length
      ? `Over ${steps} training steps (batch ${run.memoryBatch}) the number of live tensors grew for: ${grew.map((r) => `${r.model} ${r.strategy}`).join(', ')}.`
      : `Over ${steps} training steps (batch ${run.memoryBatch}) the number of live tensors and their bytes stayed constant for every strategy and model above (${mem.length} runs): a step frees everything it allocates, and the state a strategy carries (FreeAT's buffer, random streams) has a fixed size.`, '');
    const heaps = mem.filter((r) => r.memory.heapAt10 != null);
    if (heaps.length) {
      const grewHeap = heaps.filter((r) => r.memory.heapAtEnd > r.memory.heapAt10);
      const mb = (b) => (b / 2 ** 20).toFixed(0);
      lines.push(grewHeap.length
        ? `The wasm heap (${wasmThreads(run)}) grew between step 10 and step ${steps} for: ${grewHeap.map((r) => `${r.model} ${r.strategy} (${mb(r.memory.heapAt10)} → ${mb(r.memory.heapAtEnd)} MB)`).join(', ')}.`
        : `The wasm heap (${wasmThreads(run)}, its WebAssembly memory) did not grow between step 10 and step ${steps} in any of those runs (${mb(Math.min(...heaps.map((r) => r.memory.heapAtEnd)))}–${mb(Math.max(...heaps.map((r) => r.memory.heapAtEnd)))} MB, all runs in one process).`, '');
    }
  }
  const rows = (sweep?.backend === run.backend ? sweep.rows : []);
  if (rows.length) {
    lines.push('### Batch size', '');
    lines.push('`node bench/batch-sweep.mjs`: ms per minibatch, and in parentheses ms per example.', '');
    const sizes = [...new Set(rows.map((r) => r.batch))].sort((a, b) => a - b);
    lines.push(`| model | strategy | ${sizes.map((b) => `batch ${b}`).join(' | ')} |`);
    lines.push(`|---|---|${sizes.map(() => '---|').join('')}`);
    for (const key of [...new Set(rows.map((r) => `${r.model}\u0000${r.strategy}`))]) {
      const [model, strategy] = key.split('\u0000');
      const cells = sizes.map((b) => rows.find((r) => r.model === model && r.strategy === strategy && r.batch === b))
        .map((r) => (r ? `${f1(r.medianMs)} (${(r.medianMs / r.batch).toFixed(2)})` : '–'));
      lines.push(`| ${model} | ${strategy} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  if (run.backend === 'wasm' && threads) lines.push(threadsSection(threads));
  return lines.join('\n');
}

/** Step time against the wasm backend's threads (bench/threads-sweep.mjs). */
function threadsSection(sweep) {
  const counts = sweep.threads;
  const lines = ['### Threads', ''];
  const label = (c) => { const [t, x = '1'] = String(c).split('/'); return `${t} thread${t === '1' ? '' : 's'}${t === '1' ? '' : `, XNNPACK ${x}`}`; };
  lines.push(`\`node bench/threads-sweep.mjs\` on ${sweep.cores} cores: ms per minibatch (median over ${sweep.rounds} rounds that alternate the configurations, each the median of ${sweep.steps} steps), and in parentheses the speed-up over one thread. "N threads, XNNPACK X" is \`prepareBackend('wasm', { threads: N, xnnpackThreads: X })\`; the default is one thread per core with XNNPACK on 1.`, '');
  lines.push(`| model | strategy | ${counts.map(label).join(' | ')} |`);
  lines.push(`|---|---|${counts.map(() => '---|').join('')}`);
  for (const r of sweep.rows) {
    const one = r.ms[counts[0]];
    lines.push(`| ${r.model} | ${r.strategy} | ${counts.map((t) => (t === counts[0] ? f1(r.ms[t]) : `${f1(r.ms[t])} (${(one / r.ms[t]).toFixed(2)}×)`)).join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * Peers whose BLAS is recorded and optimized. A comparison with PyTorch on the reference (netlib) BLAS, or
 * one that does not say which BLAS it ran on, would flatter advtrain several times over: it is left out.
 */
export function usablePeers(peers) {
  return peers.filter((p) => {
    const ok = typeof p.blas === 'string' && !/reference/i.test(p.blas);
    if (!ok) console.warn(`render: leaving out ${p.file ?? 'a peer run'}: ${p.blas ? `it ran on ${p.blas}` : 'it does not record its BLAS'}`);
    return ok;
  });
}

const peerName = (p) => `PyTorch ${p.torch.replace(/a0$/, '')} (${p.blas})`;

/** The threads a wasm run used, from its device line ("2 threads"; older runs say "threads off"). */
function wasmThreads(run) {
  const n = Number(/(\d+) threads?\b/.exec(run?.device ?? '')?.[1] ?? 1);
  return n === 1 ? 'one thread' : `${n} threads`;
}

function peerSection(runs, peers) {
  const wasm = runs.find((r) => r.backend === 'wasm');
  const lines = ['## Compared with PyTorch on the CPU', ''];
  lines.push(`The same models, batches and steps in PyTorch on the CPU (\`bench/pytorch_peer.py\`), which prints the BLAS that its matrix products really call: ${peers.map(peerName).join('; ')}. PyTorch runs with ${peers[0].threads.join(' and ')} thread(s), advtrain on wasm with ${wasmThreads(wasm)}. Each ratio is advtrain's median step time divided by PyTorch's; below 1 advtrain is faster. The figures come from one session in which \`pnpm bench\` and the peer runs alternated, as the VM's speed drifts over minutes.`, '');
  const gflops = (ms) => (2 * 512 ** 3 / ms / 1e6).toFixed(0);
  const gemmPeers = peers.filter((p) => p.gemm512Ms);
  if (wasm?.gemm512Ms && gemmPeers.length) {
    const n = Number(/(\d+) threads?\b/.exec(wasm.device ?? '')?.[1] ?? 1);
    const same = gemmPeers.filter((p) => p.gemm512Ms[String(n)] !== undefined);
    const kernel = n > 1 ? `advtrain's SIMD kernel split over ${n} threads` : 'XNNPACK on one thread';
    const vectors = [...new Set(same.map((p) => p.cpuVectors).filter(Boolean))];
    lines.push(`Most of a step is convolutions and matrix products, so the matrix product sets the floor: a 512³ float32 product runs at ${gflops(wasm.gemm512Ms)} GFLOP/s on wasm (${kernel}; WebAssembly SIMD has 128-bit vectors and no fused multiply-add) and at ${same.map((p) => `${gflops(p.gemm512Ms[String(n)])} GFLOP/s in ${peerName(p)}`).join(' and ')} on ${wasmThreads(wasm)} (${vectors.length ? `this CPU's ${vectors.join(' / ')} vectors` : 'the CPU\'s widest vectors'}, with FMA): on matrix products alone, wasm does ${same.map((p) => (wasm.gemm512Ms / p.gemm512Ms[String(n)]).toFixed(1)).join(' and ')} times less per second than PyTorch on the same cores, whatever runs around them.`, '');
  }
  const cols = peers.flatMap((p) => p.threads.map((t) => ({ p, t })));
  lines.push(`| model | strategy | advtrain ms | ${cols.map(({ p, t }) => `${peerName(p)}, ${t} thread${t === 1 ? '' : 's'}: ms (ratio)`).join(' | ')} |`);
  lines.push(`|---|---|---|${cols.map(() => '---|').join('')}`);
  const keys = [...new Map(peers.flatMap((p) => p.results).map((r) => [`${r.model}\u0000${r.method}`, r])).values()];
  for (const { model, method } of keys) {
    const ours = wasm?.results.find((r) => r.model === model && r.strategy === method)?.medianMs;
    const cells = cols.map(({ p, t }) => {
      const ms = p.results.find((r) => r.model === model && r.method === method)?.ms[String(t)];
      return ms === undefined ? '–' : `${f1(ms)} (${ours === undefined ? '–' : f2(ours / ms)})`;
    });
    lines.push(`| ${model} | ${method} | ${f1(ours)} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Training time of each `pnpm reproduce` recipe with one thread and with more (see recipeMinutes), against bench/pytorch_recipes.py's PyTorch runs. */
function recipeSection(ours, peers) {
  const threads = Math.max(0, ...Object.values(ours).map((m) => m.threaded?.threads ?? 0));
  const lines = ['## Training the recipes, against PyTorch', ''];
  lines.push(`Minutes to train each \`pnpm reproduce\` recipe: advtrain on wasm with one thread and${threads > 1 ? ` with ${threads} threads` : ''}: the minutes of training steps of one full-length run alone on the machine (\`pnpm reproduce <recipe> --seed 0 --threads N --autoattack 0 --test-size 500 --json bench/results/recipe-<recipe>-threadsN-timing.json\`; any number of threads trains the same weights), or else the median CPU minutes of the full-length seeds in [results.md](results.md) (one thread), and the same recipe in PyTorch by \`bench/pytorch_recipes.py\` (${peers.map((p) => `${peerName(p)} with ${p.threads} thread${p.threads === 1 ? '' : 's'}`).join('; ')}), whose minutes are extrapolated from the minibatches it timed. The ratio is advtrain${threads > 1 ? ` with ${threads} threads where timed, else one,` : ''} ÷ PyTorch; "–" marks a time no run records.`, '');
  const threadedColumn = threads > 1 ? [`advtrain, ${threads} threads: minutes`] : [];
  lines.push(`| recipe | minibatches | advtrain, 1 thread: minutes | ${[...threadedColumn, ...peers.map((p) => `${peerName(p)}: minutes (ratio)`)].join(' | ')} |`);
  lines.push(`|---|---|---|${[...threadedColumn, ...peers].map(() => '---|').join('')}`);
  for (const [recipe, minutes] of Object.entries(ours)) {
    const best = minutes.threaded?.minutes ?? minutes.median;
    const cells = peers.map((p) => {
      const row = p.recipes.find((r) => r.recipe === recipe);
      return row ? `${f1(row.estimatedFullMinutes)} (${f2(best / row.estimatedFullMinutes)})` : '–';
    });
    const threadedCell = threads > 1 ? [minutes.threaded ? f1(minutes.threaded.minutes) : '–'] : [];
    lines.push(`| ${recipe} | ${minutes.minibatches} | ${minutes.median === undefined ? '–' : f1(minutes.median)} | ${[...threadedCell, ...cells].join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * Per recipe: the minutes of its full-length one-thread runs and of a full-length run with more threads. A run
 * timed alone on the machine (`aloneOnMachine`, bench/results/recipe-*-timing.json) counts its minutes of training
 * steps; the published runs of docs/results/recipes/*.json, which often shared the machine, their CPU minutes (one
 * thread), where a one-thread `-timing.json` run re-times a recipe with the current code and replaces its other
 * one-thread runs. The one-thread figure is the median of what is left.
 */
export function recipeMinutes(files) {
  const byRecipe = new Map();
  const entry = (recipe, minibatches) => {
    if (!byRecipe.has(recipe)) byRecipe.set(recipe, { minutes: [], minibatches });
    return byRecipe.get(recipe);
  };
  const threadsOf = (f) => f.threads ?? 1;
  // Which one-thread runs count: a recipe's runs alone on the machine, else its re-timings, else all its runs.
  const rank = (f) => (f.aloneOnMachine ? 2 : /-timing\.json$/.test(f.file ?? '') ? 1 : 0);
  const best = new Map();
  for (const f of files) if (threadsOf(f) === 1) best.set(f.recipe, Math.max(best.get(f.recipe) ?? 0, rank(f)));
  for (const data of files) {
    const full = (data.runs ?? []).filter((run) => run.stoppedBy === 'epochs');
    const minutesOf = (run) => (data.aloneOnMachine ? run.trainMinutes : run.cpuMinutes);
    if (threadsOf(data) > 1) {
      for (const run of full) {
        if (typeof minutesOf(run) === 'number') entry(data.recipe, run.minibatches).threaded = { threads: data.threads, minutes: minutesOf(run) };
      }
    } else if (rank(data) === best.get(data.recipe)) {
      for (const run of full) if (typeof minutesOf(run) === 'number') entry(data.recipe, run.minibatches).minutes.push(minutesOf(run));
    }
  }
  return Object.fromEntries([...byRecipe].map(([recipe, { minutes, minibatches, threaded }]) => {
    const sorted = [...minutes].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length === 0 ? undefined : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return [recipe, { minibatches, median, ...(threaded ? { threaded } : {}) }];
  }));
}

export function renderMarkdown(runs, peers = [], sweep = readSweep(), recipes = { ours: {}, peers: [] }, threads = readJson('threads-sweep-wasm.json')) {
  const usable = usablePeers(peers);
  const recipePeers = usablePeers(recipes.peers);
  const notes = existsSync(notesPath) ? readFileSync(notesPath, 'utf8') : '';
  const parts = [
    '# Performance', '',
    '<!-- Generated by `pnpm bench` (bench/run.mjs, bench/render.mjs) from bench/results/*.json and bench/performance-notes.md; edit those, not this file. -->', '',
    notes.trim(), '',
    ...runs.map((run) => runSection(run, sweep, threads)),
    ...(usable.length ? [peerSection(runs, usable)] : []),
    ...(recipePeers.length && Object.keys(recipes.ours).length ? [recipeSection(recipes.ours, recipePeers)] : []),
  ];
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/** bench/results/`name`, if present. */
function readJson(name) {
  const path = fileURLToPath(new URL(`./results/${name}`, import.meta.url));
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

/** bench/results/batch-sweep-wasm.json, written by bench/batch-sweep.mjs, if present. */
function readSweep() {
  return readJson('batch-sweep-wasm.json');
}

void PEER_NAMES;
