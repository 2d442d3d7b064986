#!/usr/bin/env node
import { clean } from '@advtrain/core';
import { exampleMain, runIfEntry } from '@advtrain-examples/kit';
import { loadMnist } from '@advtrain-examples/mnist-robustness/idx';
import { buildCnn } from '@advtrain-examples/mnist-robustness/model';
import { vat } from './vat.mjs';

const DEFAULTS = {
  name: 'custom-strategy', strategy: 'clean,vat', strategies: ['clean', 'vat'], epochs: 1, trainSize: 2000, testSize: 500,
  batchSize: 100, pgdSteps: 10, curve: [0, 0.5, 1, 2],
};

/** Trains the VAT strategy of ./vat.mjs (and clean, for comparison) on an MNIST subset; L2 robustness. */
export const main = exampleMain('@advtrain-examples/custom-strategy', DEFAULTS, () => ({
  name: 'custom-strategy', title: 'A custom strategy: VAT on MNIST',
  loadData: async (f) => ({ train: await loadMnist('train', f.trainSize), test: await loadMnist('test', f.testSize) }),
  makeModel: buildCnn,
  // ξ = 10 as lyakaap/VAT-pytorch; see docs/writing-a-strategy.md on float32 and ξ = 1e-6.
  makeStrategy: async (name) => (name === 'vat' ? vat({ epsilon: 2.0, xi: 10 }) : clean()),
  norm: 'l2', reportEpsilons: [1, 2], singleStep: [],
}));

runIfEntry(import.meta, main);
