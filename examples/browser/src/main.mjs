// The page: controls, two status cards, the live loss chart, and window.__advtrain for tests.
//   window.__advtrain = { ready, status, error, capabilities: { webgpu }, config, results,
//                         run(config) → Promise<results> }
// results[backend] = { backend, device, losses: number[], stepMs: number[], done, error }.
// URL parameters preset the form (?strategy=fgsm&gpu=webgpu&steps=10) and ?autorun=1 starts a run.
import { drawChart } from './plot.mjs';
import { DEFAULTS, GPU_BACKENDS, STRATEGIES, configureWasm, loadSubset, probeWebGpu, trainSideBySide } from './train.mjs';

const $ = (id) => document.getElementById(id);
const COLORS = { webgl: '#d9480f', webgpu: '#2f9e44', wasm: '#1971c2' };
const params = new URLSearchParams(location.search);
const state = {
  ready: false, status: 'loading', error: null, capabilities: {
    webgpu: null, crossOriginIsolated: globalThis.crossOriginIsolated === true, cores: navigator.hardwareConcurrency ?? 1,
  },
  config: null, results: null, run,
};
window.__advtrain = state;

for (const s of STRATEGIES) $('strategy').append(new Option(s, s));
const form = $('controls');
for (const [key, value] of Object.entries(DEFAULTS)) {
  if (form.elements[key]) form.elements[key].value = params.get(key) ?? String(value);
}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

function readForm() {
  const f = form.elements;
  return { strategy: f.strategy.value, gpu: f.gpu.value, steps: Number(f.steps.value), batchSize: Number(f.batchSize.value),
    epsilon: Number(f.epsilon.value), learningRate: Number(f.learningRate.value) };
}

function fmt(v, digits = 4) {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

function renderCard(card, r) {
  const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
  card.style.setProperty('--c', COLORS[r.backend]);
  card.querySelector('h2').textContent = r.backend;
  const rows = [
    ['device', r.device || '…'],
    ['step', `${r.losses.length} / ${state.config.steps}`],
    ['first loss', fmt(r.losses[0])],
    ['last loss', fmt(r.losses.at(-1))],
    ['ms / step', `${fmt(median(r.stepMs.slice(1)), 1)} (first ${fmt(r.stepMs[0], 0)})`],
  ];
  if (r.error) rows.push(['error', r.error]);
  card.querySelector('dl').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v;
    if (k === 'error') dd.className = 'error';
    return [dt, dd];
  }));
}

function render(results) {
  const [gpu, wasm] = [results[state.config.gpu], results.wasm];
  renderCard($('card-gpu'), gpu);
  renderCard($('card-wasm'), wasm);
  drawChart($('chart'), [gpu, wasm].map((r) => ({ name: r.backend, color: COLORS[r.backend], values: r.losses })), state.config.steps);
  const n = Math.min(gpu.losses.length, wasm.losses.length);
  if (n > 0) {
    const diffs = Array.from({ length: n }, (_, i) => Math.abs(gpu.losses[i] - wasm.losses[i]));
    $('summary').textContent = `|${gpu.backend} − wasm|: first step ${diffs[0].toExponential(2)}, largest over ${n} steps ${Math.max(...diffs).toExponential(2)}.`;
  }
}

let data;
async function run(overrides = {}) {
  if (state.status === 'running') throw new Error('examples/browser: a run is already in progress');
  if (!state.ready) throw new Error(`examples/browser: the page is not ready (${state.error ?? state.status})`);
  const config = { ...DEFAULTS, ...readForm(), ...overrides };
  if (!STRATEGIES.includes(config.strategy)) throw new Error(`examples/browser: unknown strategy ${config.strategy}`);
  if (!GPU_BACKENDS.includes(config.gpu)) throw new Error(`examples/browser: gpu must be one of ${GPU_BACKENDS.join(', ')}`);
  for (const [key, value] of Object.entries(config)) if (form.elements[key]) form.elements[key].value = String(value);
  state.config = config;
  state.status = 'running';
  state.error = null;
  $('run').disabled = true;
  setStatus(`Training ${config.strategy} for ${config.steps} steps on ${config.gpu} and wasm…`);
  const started = performance.now();
  try {
    state.results = await trainSideBySide(data, config, (results) => {
      state.results = results;
      render(results);
    });
    const errors = Object.values(state.results).filter((r) => r.error).map((r) => `${r.backend}: ${r.error}`);
    state.status = 'done';
    setStatus(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.${errors.length ? ` Failed: ${errors.join('; ')}` : ''}`, errors.length > 0);
    return state.results;
  } catch (error) {
    state.status = 'error';
    state.error = String(error?.message ?? error);
    setStatus(state.error, true);
    throw error;
  } finally {
    $('run').disabled = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run().catch(() => {});
});

try {
  configureWasm();
  [data, state.capabilities.webgpu] = await Promise.all([loadSubset(), probeWebGpu()]);
  if (!state.capabilities.webgpu) {
    const option = form.elements.gpu.querySelector('option[value=webgpu]');
    option.disabled = true;
    option.textContent = 'webgpu (no adapter)';
    if (form.elements.gpu.value === 'webgpu') form.elements.gpu.value = 'webgl';
  }
  state.ready = true;
  state.status = 'idle';
  setStatus(`Ready: ${data.n} MNIST images; WebGPU ${state.capabilities.webgpu ? `adapter ${state.capabilities.webgpu}` : 'unavailable'}.`);
  if (params.get('autorun') === '1') run().catch(() => {});
} catch (error) {
  state.status = 'error';
  state.error = String(error?.message ?? error);
  setStatus(state.error, true);
}
