// vite build into dist/, then the wasm binaries and the MNIST subset (scripts/assets.mjs).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { writeAssets } from './assets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildPage() {
  const started = performance.now();
  await build({ root, configFile: join(root, 'vite.config.mjs') });
  const assets = await writeAssets(join(root, 'dist'));
  return { ...assets, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await buildPage();
  console.log(`examples/browser: built dist/ in ${(r.ms / 1000).toFixed(1)} s (${r.wasmFiles.length} wasm files, ${r.images} MNIST images)`);
}
