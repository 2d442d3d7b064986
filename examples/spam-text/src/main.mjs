#!/usr/bin/env node
import { exampleMain, runIfEntry } from '@advtrain-examples/kit';
import { buildTextModel } from './model.mjs';
import { STRATEGIES, makeStrategy } from './strategies.mjs';
import { loadSpam } from './text.mjs';

const VOCAB = 5000;
export const DEFAULTS = {
  name: 'spam-text', strategy: STRATEGIES.join(','), strategies: STRATEGIES, epochs: 2, trainSize: 4837, testSize: 1209,
  batchSize: 64, pgdSteps: 10, curve: [0, 0.25, 0.5, 1, 2],
};

/** Runs the SpamAssassin experiment; `argv` as on the command line. Returns the summary. */
export const main = exampleMain('@advtrain-examples/spam-text', DEFAULTS, () => ({
  name: 'spam-text', title: 'SpamAssassin: embedding-space robustness',
  loadData: (f) => loadSpam({ trainSize: f.trainSize, testSize: f.testSize, vocabSize: VOCAB, seed: f.seed }),
  makeModel: (seed) => buildTextModel({ vocabSize: VOCAB, seed }),
  makeStrategy: (name) => makeStrategy(name, { epsilon: 1 }),
  norm: 'l2', reportEpsilons: [0.5, 1], singleStep: [], learningRate: 2e-2,
}));

runIfEntry(import.meta, main);
