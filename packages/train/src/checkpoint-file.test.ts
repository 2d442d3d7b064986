import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainer, clean } from '@advtrain/core';
import { linearFixture } from '@advtrain/core/testing';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint-file.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const backend = process.env.ADVTRAIN_TEST_BACKEND ?? 'cpu';
// The child runs plain JavaScript: this package's sources, compiled here, in a folder whose imports resolve like the package's.
const modules = join(pkg, 'node_modules', `.crash-test-${process.pid}-${backend}`);

beforeAll(async () => {
  const ts = (await import('typescript')).default;
  mkdirSync(modules, { recursive: true });
  for (const file of readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const out = ts.transpileModule(readFileSync(join(here, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    });
    writeFileSync(join(modules, file.replace(/\.ts$/, '.js')), out.outputText);
  }
  writeFileSync(join(modules, 'package.json'), '{ "type": "module" }');
});
afterAll(() => rmSync(modules, { recursive: true, force: true }));

interface ChildRun { code: number | null; signal: NodeJS.Signals | null; steps: number; stderr: string }

/** Starts the training process; kills it with SIGKILL `killAfterMs` after its first step, when given. */
function runChild(dir: string, steps: number, killAfterMs: number | null, tearAt: number | null = null): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(pkg, 'test', 'crash-child.mjs')], {
      cwd: pkg,
      env: {
        ...process.env, CRASH_BACKEND: backend, CRASH_MODULES: modules, CRASH_DIR: dir, CRASH_STEPS: String(steps),
        CRASH_PADDING: String(2_000_000), ...(tearAt === null ? {} : { CRASH_TEAR_AT: String(tearAt) }),
        CRASH_BACKEND_SETUP: join(realpathSync(join(pkg, 'node_modules', '@advtrain', 'test-config')), 'src', 'common.js'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let done = 0;
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      done += (text.match(/^step /gm) ?? []).length;
      if (killAfterMs !== null && timer === null && done > 0) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, steps: done, stderr });
    });
  });
}

describe('checkpoint files survive SIGKILL at any moment', () => {
  it(`a run killed mid-epoch and mid-write resumes to weights bit-identical to an uninterrupted run (${backend})`, async () => {
    const steps = 40;
    const root = mkdtempSync(join(tmpdir(), 'advtrain-crash-'));
    try {
      const straight = join(root, 'straight');
      mkdirSync(straight);
      const whole = await runChild(straight, steps, null);
      expect(whole.code, whole.stderr).toBe(0);
      const expected = readFileSync(join(straight, 'final.json'), 'utf8');

      const crashed = join(root, 'crashed');
      mkdirSync(crashed);
      let kills = 0;
      let midWrite = 0;
      // Random kill times (seeded, so a failure can be replayed): short ones land inside a checkpoint write.
      let seed = 12345;
      const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      for (let attempt = 0; attempt < 60 && !existsSync(join(crashed, 'final.json')); attempt++) {
        // Eight kills at random times, two of them inside a checkpoint write (half the temp file written).
        const tear = attempt === 2 || attempt === 5;
        const at = existsSync(join(crashed, 'run.json')) ? (await loadCheckpoint(join(crashed, 'run.json'))).trainer.step : 0;
        const run = await runChild(crashed, steps, kills < 8 && !tear ? Math.floor(random() * 150) : null,
          tear ? Math.min(steps, at + 1 + Math.floor(random() * 3)) : null);
        if (run.signal === 'SIGKILL') {
          kills += 1;
          const temps = readdirSync(crashed).filter((f) => f.includes('.tmp-'));
          if (temps.length) midWrite += 1;
          temps.forEach((f) => rmSync(join(crashed, f)));
          // Whatever the moment of the kill, the checkpoint file is complete.
          if (existsSync(join(crashed, 'run.json'))) expect((await loadCheckpoint(join(crashed, 'run.json'))).trainer.step).toBeGreaterThan(0);
        } else {
          expect(run.code, run.stderr).toBe(0);
        }
      }
      expect(kills).toBeGreaterThanOrEqual(8);
      expect(midWrite).toBeGreaterThan(0);
      expect(readFileSync(join(crashed, 'final.json'), 'utf8')).toBe(expected);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('loading a damaged checkpoint file', () => {
  it('a truncated or foreign file gives ADVTRAIN_INVALID_CHECKPOINT and loads nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'advtrain-ckpt-'));
    try {
      const f = linearFixture();
      const optimizer = tf.train.momentum(0.1, 0.9);
      const trainer = new Trainer(clean(), { view: f.view, optimizer });
      const batch = f.batch(0);
      await trainer.trainStep(batch);
      const path = join(dir, 'good.json');
      await saveCheckpoint(path, trainer, { epoch: 1, trainMs: 5, history: [] });
      expect(readdirSync(dir)).toEqual(['good.json']);
      const text = readFileSync(path, 'utf8');
      const before = await Promise.all(f.variables.map(async (v) => Array.from(await v.data())));
      const cases: Array<[string, string, RegExp]> = [
        ['truncated.json', text.slice(0, Math.floor(text.length / 2)), /is not complete JSON .*it may be truncated\. Nothing was loaded\./],
        ['foreign.json', JSON.stringify({ modelTopology: {}, weightsManifest: [] }), /is not an advtrain checkpoint file \(expected format "advtrain-checkpoint", version 1; received format undefined/],
        ['short-values.json', text.replace(/"values":\[([^\]]*?),[^,\]]*\]/, '"values":[$1]'), /is damaged: variable 0 holds 17 values for shape \[6, 3\] \(18 expected\)\. Nothing was loaded\./],
        ['no-slots.json', JSON.stringify({ ...JSON.parse(text), trainer: { ...JSON.parse(text).trainer, optimizer: null } }), /is damaged: the optimizer slots are missing/],
      ];
      for (const [name, content, message] of cases) {
        writeFileSync(join(dir, name), content);
        await expect(restoreCheckpoint(trainer, join(dir, name))).rejects.toMatchObject({ code: 'ADVTRAIN_INVALID_CHECKPOINT', message: expect.stringMatching(message) });
      }
      const after = await Promise.all(f.variables.map(async (v) => Array.from(await v.data())));
      expect(after).toEqual(before);
      expect(trainer.step).toBe(1);
      tf.dispose([batch.x, batch.y]);
      trainer.dispose();
      optimizer.dispose();
      f.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
