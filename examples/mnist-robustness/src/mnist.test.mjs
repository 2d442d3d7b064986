import { mkdtempSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mnistDir, parseIdx } from './idx.mjs';
import { main } from './main.mjs';

async function header(file, bytes) {
  const handle = await open(join(mnistDir(), file));
  const buf = Buffer.alloc(bytes);
  await handle.read(buf, 0, bytes, 0);
  await handle.close();
  return buf;
}

describe('IDX parser', () => {
  it('reads the real files\' headers and counts', async () => {
    for (const [file, magic, dims] of [
      ['train-images-idx3-ubyte', 2051, [60000, 28, 28]], ['train-labels-idx1-ubyte', 2049, [60000]],
      ['t10k-images-idx3-ubyte', 2051, [10000, 28, 28]], ['t10k-labels-idx1-ubyte', 2049, [10000]],
    ]) {
      const head = await header(file, 4 + 4 * dims.length);
      expect(() => parseIdx(head, file)).toThrow(/truncated/);
      const { magic: m, dims: d } = parseIdx(Buffer.concat([head, Buffer.alloc(dims.reduce((a, b) => a * b, 1))]), file);
      expect([m, d]).toEqual([magic, dims]);
    }
    const labels = parseIdx(readFileSync(join(mnistDir(), 't10k-labels-idx1-ubyte')));
    const counts = Array.from({ length: 10 }, (_, c) => labels.data.filter((l) => l === c).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10000);
    expect(Math.min(...counts)).toBeGreaterThan(850);
  });

  it('rejects files that are not IDX', () => {
    expect(() => parseIdx(Buffer.from('hello world'), 'x')).toThrow('mnist-robustness: x is not an IDX file (bad magic bytes).');
  });
});

describe('training smoke run', () => {
  it('2 steps of FGSM-RS on 256 examples on wasm, then evaluation and a JSON summary', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mnist-')), 'summary.json');
    const lines = [];
    const summary = await main(['--strategy', 'fgsm-rs', '--train-size', '256', '--test-size', '64', '--batch-size', '128',
      '--pgd-steps', '2', '--curve', '0.1,0.3', '--json', out], (l) => lines.push(l));
    const run = summary.runs[0];
    expect(run.steps).toBe(2);
    expect(run.clean).toBeGreaterThanOrEqual(0);
    expect(run.robust['0.3']).toBeLessThanOrEqual(run.clean);
    expect(JSON.parse(readFileSync(out, 'utf8')).runs[0].strategy).toBe('fgsm-rs');
    expect(summary.backend).toBe('wasm');
    expect(lines.join('\n')).toMatch(/fgsm-rs: clean \d+\.\d %, PGD-2 ε=0.1/);
    // AutoAttack on the (here: all 64) first test examples at the largest ε, next to that PGD, both timed.
    expect(run.autoAttack).toMatchObject({ images: 64, epsilon: 0.3, pgd: run.robust['0.3'] });
    expect(run.autoAttack.accuracy).toBeLessThanOrEqual(run.autoAttack.pgd);
    expect(run.autoAttack.seconds).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/fgsm-rs: first 64 test examples at ε=0.3: PGD-2 \d+\.\d % \(\d+\.\d s\), AutoAttack \d+\.\d % \(\d+\.\d s\)/);
  });
});
