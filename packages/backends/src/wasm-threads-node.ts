import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { serveWorkerScript, workerScript, type RestoreHook } from './wasm-threads.js';

const require = createRequire(import.meta.url);
let written: { path: string; blobSize: number } | undefined;

/** Node's `Worker` cannot load a Blob URL: the worker script goes to a file, once per process. */
function writeWorkerScript(): { path: string; blobSize: number } {
  if (written !== undefined) return written;
  const out = join(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'wasm-out');
  const factory = join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const contents = wasmWorkerContents.replace(/\n/g, '\\n'); // the escaping tfjs applies before making its Blob
  const dir = mkdtempSync(join(os.tmpdir(), 'advtrain-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(path, workerScript(contents, factory));
  written = { path, blobSize: Buffer.byteLength(contents) };
  return written;
}

/** Serves the worker script from its file and reports at least `cores` cores until the returned restore. */
export function installNodeWorkers(cores: number): RestoreHook {
  const script = writeWorkerScript();
  const restoreUrl = serveWorkerScript(script.blobSize, script.path);
  const cpus = os.cpus;
  os.cpus = () => {
    const list = cpus();
    while (list.length < cores) list.push(list[0]!);
    return list;
  };
  return () => {
    restoreUrl();
    os.cpus = cpus;
  };
}
