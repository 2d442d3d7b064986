#!/usr/bin/env node
// The wasm backend's kernels with one and with two threads: prints figures, changes nothing.
//
//   node bench/wasm-threads.mjs [--rounds 4] [--reps 20]
//
// Each round runs four configurations in child processes, one after the other: prepareBackend('wasm') with
// 1 and 2 threads, each with advtrain's SIMD kernels on and off (XNNPACK paths only). Each times a 512³ matMul
// and the forward + backward of two strided convolutions on a [100, 28, 28, 1] batch (the MNIST CNN's conv
// layers), median of --reps after 3 warm-ups, and checks its outputs against the single-threaded XNNPACK run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { mode: { type: 'string' }, rounds: { type: 'string', default: '4' }, reps: { type: 'string', default: '20' }, ref: { type: 'string' }, dump: { type: 'string' } },
});
const backendsDir = fileURLToPath(new URL('../packages/backends/', import.meta.url));
const require = createRequire(backendsDir);

if (!flags.mode) {
  const modes = ['advtrain-1', 'advtrain-2', 'xnnpack-1', 'xnnpack-2'];
  const dir = mkdtempSync(join(tmpdir(), 'advtrain-wasm-threads-'));
  const ref = join(dir, 'reference.json');
  const self = fileURLToPath(import.meta.url);
  const run = (mode, extra) => {
    const r = spawnSync(process.execPath, [self, '--mode', mode, '--reps', flags.reps, ...extra], { encoding: 'utf8', timeout: 300_000 });
    process.stdout.write(r.stdout + (r.status === 0 ? '' : `${mode}: exit ${r.status} ${r.stderr}`));
  };
  run('xnnpack-1', ['--dump', ref]);
  for (let round = 1; round <= Number(flags.rounds); round++) {
    console.log(`round ${round}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    for (const mode of modes) run(mode, ['--ref', ref]);
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const tf = require('@tensorflow/tfjs-core');
const [kernels, threads] = flags.mode.split('-');
const { prepareBackend } = await import(join(backendsDir, 'dist/index.js'));
const { device } = await prepareBackend('wasm', { threads: Number(threads), ...(kernels === 'xnnpack' ? { wasmKernels: { simd: false } } : {}) });

const det = (shape, seed) => {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < v.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = (s / 2 ** 32) * 2 - 1; }
  return tf.tensor(v, shape);
};
const [a, b, x] = [det([512, 512], 1), det([512, 512], 2), det([100, 28, 28, 1], 3)];
const [w1, w2] = [tf.mul(det([4, 4, 1, 16], 4), 0.5), tf.mul(det([4, 4, 16, 32], 5), 0.1)];
const convGrads = tf.grads((xs, k1, k2) => tf.sum(tf.square(tf.conv2d(tf.conv2d(xs, k1, 2, 'same'), k2, 2, 'same'))));
const cases = { 'matMul 512³': () => [tf.matMul(a, b)], 'conv fwd+bwd': () => convGrads([x, w1, w2]) };

const outputs = {};
for (const [name, fn] of Object.entries(cases)) outputs[name] = await Promise.all(fn().map(async (t) => Array.from(await t.data())));
if (flags.dump) writeFileSync(flags.dump, JSON.stringify(outputs));
const diffs = [];
if (flags.ref) {
  const ref = JSON.parse(readFileSync(flags.ref, 'utf8'));
  for (const name of Object.keys(ref)) {
    let d = 0;
    ref[name].forEach((r, i) => r.forEach((v, j) => { d = Math.max(d, Math.abs(v - outputs[name][i][j])); }));
    diffs.push(`${name} ${d.toExponential(1)}`);
  }
}
const timings = [];
for (const [name, fn] of Object.entries(cases)) {
  const once = async () => { const out = fn(); await Promise.all(out.map((t) => t.data())); tf.dispose(out); };
  for (let i = 0; i < 3; i++) await once();
  const ms = [];
  for (let i = 0; i < Number(flags.reps); i++) { const t0 = performance.now(); await once(); ms.push(performance.now() - t0); }
  timings.push(`${name} ${ms.sort((p, q) => p - q)[ms.length >> 1].toFixed(1)} ms`);
}
const label = `${device.match(/\d+ threads?/)[0]}, ${kernels === 'xnnpack' ? 'XNNPACK paths only' : 'advtrain SIMD kernels'}`;
console.log(`  ${flags.mode.padEnd(10)} ${label}: ${timings.join(', ')}${diffs.length ? `; max |Δ| vs one thread, XNNPACK only: ${diffs.join(', ')}` : ''}`);
