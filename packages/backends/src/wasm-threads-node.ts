import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import type { RestoreHook } from './wasm-threads.js';

const require = createRequire(import.meta.url);
let workerScript: { path: string; blobSize: number } | undefined;

/**
 * tfjs-backend-wasm hands emscripten its pthread worker as a Blob URL, which Node's `Worker` cannot
 * load, and posts the main script as a Blob the worker cannot read either. The worker script is
 * written to a file once per process instead, with a prelude that points the worker at the emscripten
 * factory shipped in the package's wasm-out/.
 */
function writeWorkerScript(): { path: string; blobSize: number } {
  if (workerScript !== undefined) return workerScript;
  const out = join(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'wasm-out');
  const factory = join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const contents = wasmWorkerContents.replace(/\n/g, '\\n'); // the escaping tfjs applies before making its Blob
  const dir = mkdtempSync(join(os.tmpdir(), 'advtrain-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(path, `URL.createObjectURL = () => ${JSON.stringify(factory)};\nURL.revokeObjectURL = () => {};\n${contents}`);
  workerScript = { path, blobSize: Buffer.byteLength(contents) };
  return workerScript;
}

/** Serves the worker script from its file and reports at least `cores` cores until the returned restore. */
export function installNodeWorkers(cores: number): RestoreHook {
  const script = writeWorkerScript();
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) => (blob instanceof Blob && blob.type === 'application/javascript' && blob.size === script.blobSize
    ? script.path : createObjectURL(blob));
  const cpus = os.cpus;
  os.cpus = () => {
    const list = cpus();
    while (list.length < cores) list.push(list[0]!);
    return list;
  };
  return () => {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  };
}
