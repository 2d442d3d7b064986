// Renders docs/performance.md from the suite's JSON (bench/results/performance-<backend>.json)
// and, when present, the PyTorch peer comparison (bench/results/pytorch-peer.json).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const f1 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(1));
const f2 = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(2));
/** Two decimals, or three where two would round onto the goal and hide which side of it the value is. */
const nearGoal = (v, goal) => (Math.abs(v - goal) < 0.005 && v !== goal ? v.toFixed(3) : f2(v));
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const notesPath = fileURLToPath(new URL('./performance-notes.md', import.meta.url));

const TITLES = {
  mnist: 'MNIST CNN of "Fast is better than free" (conv 1→16 4×4/2 same, ReLU, conv 16→32 4×4/2 same, ReLU, dense 100, ReLU, dense 10), batch 100, ε = 0.3',
  text: 'Text embedding model (spam-text: embedding 5000×32 → masked mean pool → dense 2; 128 tokens), batch 64, perturbed at the embedding output, ε = 1',
  smallcnn: 'SmallCNN of YOPO and TRADES (four 3×3 convs 1→32→32→64→64 with ReLU, max-pool 2 after the second and fourth, dense 1024→200→200→10), MNIST, batch 100, ε = 0.3',
};

/** Peer rows keyed by our strategy names. */
const PEER_NAMES = { clean: 'clean', 'fgsm-rs': 'fgsm-rs', 'pgd-10': 'pgd-10', 'free-at m=4': 'free-at m=4', 'yopo-pmp 5-3': 'yopo-pmp 5-3', 'freelb-3': 'freelb-3' };

function goals(run, peer) {
  const out = [];
  const ratioOf = (f) => `${f1(f.stepMs)} ÷ ${f1(f.forwardMs)} ms = ${f2(f.stepMs / f.forwardMs)} (minima: ${f1(f.stepMinMs)} ÷ ${f1(f.forwardMinMs)} ms = ${f2(f.stepMinMs / f.forwardMinMs)})`;
  const cnn = (run.forward ?? []).find((f) => f.model === 'mnist');
  if (cnn) {
    const others = (run.forward ?? []).filter((f) => f.model !== 'mnist');
    const v = cnn.stepMs / cnn.forwardMs;
    out.push(`- MNIST CNN clean training step ≤ 3.5 × its own forward pass: ${ratioOf(cnn)} → **${v <= 3.5 ? 'met' : 'not met'}**${others.length ? `; for reference, ${others.map((f) => `${f.model} ${f2(f.stepMs / f.forwardMs)}`).join(', ')}` : ''}.`);
  }
  const get = (model, name) => run.results.find((r) => r.model === model && r.strategy === name);
  const worst = run.results.filter((r) => r.strategy !== 'clean').sort((a, b) => b.overhead - a.overhead);
  const over = worst.filter((r) => r.overhead > 1.05);
  out.push(`- Every strategy's overhead ≤ 1.05: **${over.length ? 'not met' : 'met'}**${over.length ? ` (above: ${over.map((r) => `${r.model} ${r.strategy} ${nearGoal(r.overhead, 1.05)}`).join(', ')})` : ''}.`);
  const clean = get('mnist', 'clean');
  const free = get('mnist', 'free-at m=4');
  if (clean && free) {
    const v = free.perOptimizerStepMs / free.cleanMs;
    out.push(`- FreeAT time per optimizer step ≤ 1.05 × clean (MNIST): ${nearGoal(v, 1.05)} → **${v <= 1.05 ? 'met' : 'not met'}**.`);
  }
  for (const model of ['mnist', 'smallcnn']) {
    const yopo = get(model, 'yopo-pmp 5-3');
    const pgd = get(model, 'pgd-10');
    if (!yopo || !pgd) continue;
    // Each row's × clean is against its own interleaved clean step, which cancels the machine's drift between rows.
    const v = yopo.ratio / pgd.ratio;
    out.push(`- YOPO-5-3 ≤ 0.55 × PGD-10 per minibatch (${model}): ${f2(yopo.ratio)} ÷ ${f2(pgd.ratio)} clean steps = ${f2(v)} (raw medians ${f1(yopo.medianMs)} ÷ ${f1(pgd.medianMs)} ms = ${f2(yopo.medianMs / pgd.medianMs)}) → **${v <= 0.55 ? 'met' : 'not met'}**.`);
  }
  if (peer && run.backend === 'wasm') {
    const ratios = peer.results.map((row) => {
      const ours = run.results.find((r) => r.model === row.model && r.strategy === row.method);
      const best = Math.min(...Object.values(row.ms));
      return ours ? { row, v: ours.medianMs / best } : null;
    }).filter(Boolean);
    const over = ratios.filter((x) => x.v > 3);
    out.push(`- Ratio to PyTorch on the CPU ≤ 3 (our median ÷ PyTorch's faster thread count's median): **${over.length ? 'not met' : 'met'}** (${ratios.map((x) => `${x.row.model} ${x.row.method} ${f2(x.v)}`).join(', ')}).`);
  }
  const mem = run.results.filter((r) => r.memory);
  if (mem.length) {
    const grow = mem.filter((r) => r.memory.tensorsAtEnd !== r.memory.tensorsAt10);
    out.push(`- Tensor count flat over ${run.memorySteps} steps: **${grow.length ? 'not met' : 'met'}**${grow.length ? ` (${grow.map((r) => `${r.model} ${r.strategy}`).join(', ')})` : ''}.`);
  }
  return out;
}

function runSection(run, peer) {
  const lines = [];
  lines.push(`## ${run.backend} (${run.device})`, '');
  lines.push(`Node ${run.node}, tfjs-core ${run.tfjs}, ${run.cores} cores (${run.cpu}); 1-, 5-, 15-minute load average before the run ${run.loadBefore.map(f2).join(' / ')}, after ${run.loadAfter.map(f2).join(' / ')}. Median of ${run.steps} steps after ${run.warmup} warm-up steps; one read-back of a scalar (\`await loss.data()\`, which \`Trainer.trainStep\` does once per step) costs ${run.syncMs.toFixed(3)} ms. Finished ${run.finishedAt}.`, '');
  for (const model of [...new Set(run.results.map((r) => r.model))]) {
    lines.push(`### ${TITLES[model] ?? model}`, '');
    const from = run.results.find((x) => x.model === model && x.from)?.from;
    if (from) lines.push(`Not re-measured in this run: these rows are from the run finished ${from}.`, '');
    lines.push('| strategy | ms / minibatch (median) | min–max | paired clean ms | × clean | full F / B (counter) | layer-one F / B | declared full / layer-one | optimizer steps | ms / optimizer step | overhead | load (1 min) |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of run.results.filter((x) => x.model === model)) {
      const p = r.passes;
      lines.push(`| ${r.strategy} | ${f1(r.medianMs)} | ${f1(r.minMs)}–${f1(r.maxMs)} | ${f1(r.cleanMs)} | ${f2(r.ratio)} | ${p.forward} / ${p.backward} | ${p.layerOneForward} / ${p.layerOneBackward} | ${r.declared.full} / ${r.declared.layerOne} | ${p.optimizerSteps} | ${f1(r.perOptimizerStepMs)} | ${f2(r.overhead)} | ${f2(r.load1)} |`);
    }
    lines.push('');
  }
  const mem = run.results.filter((r) => r.memory);
  if (mem.length) {
    lines.push(`### Memory: tensors and bytes after 10 and after ${run.memorySteps} steps (batch ${run.memoryBatch}${run.memoryFrom ? `; from the run finished ${run.memoryFrom}` : ''})`, '');
    lines.push('Each row is one trainer on a fresh model, stepped on the same minibatch; `tf.memory()` counts every live tensor in the process (the model, the batch and the optimizer slots included), so rows differ by what earlier rows left, and flat means equal at step 10 and at the end.', '');
    lines.push('| model | strategy | tensors @10 | tensors @end | bytes @10 | bytes @end | flat | seconds |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const r of mem) {
      const m = r.memory;
      lines.push(`| ${r.model} | ${r.strategy} | ${m.tensorsAt10} | ${m.tensorsAtEnd} (${m.steps} steps) | ${kb(m.bytesAt10)} | ${kb(m.bytesAtEnd)} | ${m.tensorsAtEnd === m.tensorsAt10 && m.bytesAtEnd === m.bytesAt10 ? 'yes' : 'no'} | ${f1(m.seconds)} |`);
    }
    lines.push('');
  }
  lines.push('### Goals', '', ...goals(run, peer), '');
  return lines.join('\n');
}

function peerSection(runs, peer) {
  const lines = ['## Peer comparison: PyTorch on the CPU', ''];
  lines.push(`\`/usr/bin/python3 bench/pytorch_peer.py\` (Debian's python3-torch ${peer.torch}) runs the same models, batches and steps in PyTorch on the CPU, with \`torch.set_num_threads(n)\` for n in ${peer.threads.join(', ')}. 1-minute load average during the run: ${peer.load.map(f2).join(' / ')}. Ratio = our ms per minibatch (wasm, single-threaded) ÷ PyTorch's, of the medians and of the minima (the machine is a shared VM whose speed drifts between runs minutes apart; the minimum is each side's least disturbed step).`, '');
  const wasm = runs.find((r) => r.backend === 'wasm');
  const threads = peer.threads.map((t) => `${t} thr`).join(' / ');
  lines.push(`| model | method | PyTorch median ms (${threads}) | PyTorch min ms (${threads}) | ours median / min ms (wasm) | ours ÷ PyTorch, medians (${threads}) | ours ÷ PyTorch, minima (${threads}) |`);
  lines.push('|---|---|---|---|---|---|---|');
  for (const row of peer.results) {
    const ours = wasm?.results.find((r) => r.model === row.model && r.strategy === row.method);
    const ms = peer.threads.map((t) => row.ms[String(t)]);
    const mins = peer.threads.map((t) => row.minMs?.[String(t)]);
    const ratio = (a, b) => (a !== undefined && b !== undefined ? f2(a / b) : '–');
    lines.push(`| ${row.model} | ${row.method} | ${ms.map(f1).join(' / ')} | ${mins.map(f1).join(' / ')} | ${f1(ours?.medianMs)} / ${f1(ours?.minMs)} | ${ms.map((m) => ratio(ours?.medianMs, m)).join(' / ')} | ${mins.map((m) => ratio(ours?.minMs, m)).join(' / ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

export function renderMarkdown(runs, peer) {
  const notes = existsSync(notesPath) ? readFileSync(notesPath, 'utf8') : '';
  const parts = [
    '# Performance', '',
    '<!-- Generated by `pnpm bench` (bench/run.mjs, bench/render.mjs) from bench/results/*.json and bench/performance-notes.md; edit those, not this file. -->', '',
    notes.trim(), '',
    ...runs.map((run) => runSection(run, peer)),
    ...(peer ? [peerSection(runs, peer)] : ['## Peer comparison: PyTorch on the CPU', '', 'Not run yet: `/usr/bin/python3 bench/pytorch_peer.py`, then `pnpm bench -- --render`.', '']),
  ];
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

void PEER_NAMES;
