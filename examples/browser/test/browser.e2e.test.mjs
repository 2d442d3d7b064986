// End to end: serve dist/ on a random localhost port, open the page in headless Debian chromium
// (playwright-core), train a few steps of a strategy on webgl (and webgpu when chromium offers
// an adapter) side by side with wasm, and check the numbers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST, serve } from '../scripts/serve.mjs';
import { CHROMIUM, hasChromium, launchChromium } from './chromium.mjs';

const STEPS = Number(process.env.ADVTRAIN_E2E_STEPS ?? 6);
// Same seed, weights and batches: the first-step loss may differ only by float rounding...
const FIRST_STEP_TOLERANCE = 1e-3;
// ...except FreeAT's, the mean over its m = 4 replays, three of which follow in-step optimizer
// updates driven by sign(∇δ), so rounding is already amplified (seen: 0.5 %): relative.
const FIRST_STEP_TOLERANCE_REPLAYS = 0.02;
// Later steps drift apart a little (sign flips of tiny attack gradients, Adam's division): relative.
const ALL_STEPS_TOLERANCE = 0.05;

if (!hasChromium) console.log(`examples/browser e2e: skipped, ${CHROMIUM} is missing (CI installs it with scripts/ensure-tools.sh; CHROMIUM_PATH overrides).`);

describe.skipIf(!hasChromium)('examples/browser in headless chromium', () => {
  let server;
  let chromium;
  let page;
  const pageErrors = [];
  const wasmDevices = [];

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html')) || !existsSync(join(DIST, 'mnist-subset.bin'))) {
      const { buildPage } = await import('../scripts/build.mjs');
      await buildPage();
    }
    server = await serve(DIST);
    chromium = await launchChromium();
    page = await chromium.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`); });
    page.on('response', (response) => { if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`); });
    await page.goto(server.url);
    await page.waitForFunction(() => window.__advtrain?.ready || window.__advtrain?.status === 'error', null, { timeout: 30_000 });
    const state = await page.evaluate(() => ({ status: window.__advtrain.status, error: window.__advtrain.error }));
    expect(state.error, 'page failed to load').toBeNull();
  });

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  async function trainOn(gpu, strategy) {
    const started = Date.now();
    const results = await page.evaluate((config) => window.__advtrain.run(config), { strategy, gpu, steps: STEPS, batchSize: 64, epsilon: 0.1, learningRate: 0.01, seed: 0 });
    const seconds = (Date.now() - started) / 1000;
    const line = (r) => `${r.backend.padEnd(6)} ${r.device} | losses ${r.losses.map((l) => l.toFixed(4)).join(' ')} | median ${median(r.stepMs).toFixed(0)} ms/step${r.error ? ` | ERROR ${r.error}` : ''}`;
    console.log(`[${strategy} on ${gpu} + wasm, ${seconds.toFixed(1)} s]\n  ${line(results[gpu])}\n  ${line(results.wasm)}`);
    wasmDevices.push(results.wasm.device);
    return results;
  }

  function checkNumbers(results, gpu, strategy) {
    for (const backend of [gpu, 'wasm']) {
      const r = results[backend];
      expect(r.error, `${backend} failed`).toBeNull();
      expect(r.done).toBe(true);
      expect(r.losses).toHaveLength(STEPS);
      for (const loss of r.losses) expect(Number.isFinite(loss), `${backend} loss ${loss}`).toBe(true);
      // Untrained 10-class model: about ln 10; training lowers it.
      expect(r.losses[0]).toBeGreaterThan(1.5);
      expect(r.losses[0]).toBeLessThan(8);
      const lastTwo = (r.losses.at(-1) + r.losses.at(-2)) / 2;
      expect(lastTwo, `${backend} loss did not decrease: ${r.losses}`).toBeLessThan(r.losses[0] - 0.1);
    }
    // The wasm side ran @advtrain/backends' SIMD module in the browser, not only its XNNPACK fallbacks.
    expect(results.wasm.device).toContain('advtrain SIMD kernels on');
    const a = results[gpu].losses;
    const b = results.wasm.losses;
    const firstTolerance = strategy === 'free-at' ? FIRST_STEP_TOLERANCE_REPLAYS * Math.max(a[0], b[0]) : FIRST_STEP_TOLERANCE;
    expect(Math.abs(a[0] - b[0]), `first-step loss ${gpu} ${a[0]} vs wasm ${b[0]}`).toBeLessThan(firstTolerance);
    for (let i = 0; i < STEPS; i++) {
      expect(Math.abs(a[i] - b[i]), `step ${i + 1}: ${gpu} ${a[i]} vs wasm ${b[i]}`).toBeLessThan(ALL_STEPS_TOLERANCE * Math.max(a[i], b[i]));
    }
  }

  it.each(['clean', 'fgsm', 'pgd', 'free-at'])('trains %s on webgl and wasm to the same numbers', async (strategy) => {
    checkNumbers(await trainOn('webgl', strategy), 'webgl', strategy);
  });

  // SwiftShader's WebGPU is slow (pgd: about 1.7 s a step), so one single-step strategy here.
  it('trains fgsm on webgpu and wasm when chromium offers a WebGPU adapter', async (ctx) => {
    const adapter = await page.evaluate(() => window.__advtrain.capabilities.webgpu);
    if (!adapter) {
      console.log('examples/browser e2e: webgpu skipped, navigator.gpu.requestAdapter() returned no adapter');
      ctx.skip();
    }
    console.log(`WebGPU adapter: ${adapter}`);
    checkNumbers(await trainOn('webgpu', 'fgsm'), 'webgpu', 'fgsm');
  });

  it('ran wasm on the threaded build, one thread per core (the page is cross-origin isolated)', async () => {
    const { cores, crossOriginIsolated } = await page.evaluate(() => window.__advtrain.capabilities);
    expect(crossOriginIsolated).toBe(true);
    expect(wasmDevices.length).toBeGreaterThan(0);
    for (const device of wasmDevices) expect(device).toContain(cores > 1 ? `${cores} threads` : '1 thread');
  });

  it('raised no page errors', () => {
    expect(pageErrors.filter((e) => !/favicon/.test(e))).toEqual([]);
  });
});

function median(xs) {
  return xs.length ? [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] : NaN;
}
