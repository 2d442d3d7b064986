#!/usr/bin/env node
import { exampleMain, runIfEntry } from '@advtrain-examples/kit';
import { loadMnist } from './idx.mjs';
import { buildCnn } from './model.mjs';
import { SINGLE_STEP, STRATEGIES, makeStrategy } from './strategies.mjs';

export const DEFAULTS = {
  // ε = 0.1 for training by default: at 0.3, Madry-style PGD training needs far more steps than a
  // few-minute run to leave its majority-class plateau; --epsilon 0.3 is the papers' setting.
  name: 'mnist-robustness', strategy: 'clean,fgsm-rs', strategies: STRATEGIES, epochs: 1, trainSize: 60000, testSize: 1000, epsilon: 0.1,
  batchSize: 100, pgdSteps: 10, curve: [0, 0.05, 0.1, 0.2, 0.3], autoAttack: 200,
};

/** Runs the MNIST experiment; `argv` as on the command line. Returns the summary. */
export const main = exampleMain('@advtrain-examples/mnist-robustness', DEFAULTS, () => ({
  name: 'mnist-robustness', title: 'MNIST robustness: small CNN of "Fast is better than free"',
  loadData: async (f) => ({ train: await loadMnist('train', f.trainSize), test: await loadMnist('test', f.testSize) }),
  makeModel: buildCnn,
  makeStrategy: (name, f) => makeStrategy(name, { epsilon: f.epsilon }),
  norm: 'linf', reportEpsilons: [0.1, 0.3], singleStep: SINGLE_STEP, learningRate: 1e-3, autoAttack: true,
}));

runIfEntry(import.meta, main);
