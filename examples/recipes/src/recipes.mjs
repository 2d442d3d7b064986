import * as tf from '@tensorflow/tfjs-core';
import { cyclicSchedule, linearRamp } from '@advtrain/core';
import { PGD_50_10_MNIST } from '@advtrain/eval';

/** PyTorch's Adam (ε = 1e-8; tfjs defaults to 1e-7). The schedule sets the rate before every step. */
const torchAdam = () => tf.train.adam(0, 0.9, 0.999, 1e-8);

const MNIST = {
  dataset: 'mnist', epsilon: 0.3, batchSize: 100, init: 'pytorch', evaluation: PGD_50_10_MNIST,
  optimizer: torchAdam, optimizerName: 'Adam (β 0.9/0.999, ε 1e-8)',
};

/**
 * The recipes `pnpm reproduce` runs: model + data + strategy preset +
 * optimizer + schedules + evaluation, each named after the paper row it
 * reproduces. Every one trains the "Fast is better than free" MNIST CNN with
 * PyTorch's initialisation at ε = 0.3 and is judged by PGD-50 × 10 on the
 * 10,000 test images. `epochs` counts passes over the data.
 */
export const RECIPES = {
  'fgsm-rs-mnist': {
    ...MNIST,
    title: 'FGSM with random start, MNIST, ε = 0.3',
    paper: { citation: 'Wong, Rice & Kolter, "Fast is better than free", ICLR 2020: MNIST, FGSM with random init, ε = 0.3, α = 0.375; 88.8 % under PGD-50 × 10', robust: 0.888, clean: null },
    reference: 'locuslab/fast_adversarial MNIST/train_mnist.py (attack fgsm, α 0.375, 10 epochs, batch 100, cyclic Adam, lr_max 5e-3)',
    target: { robust: 0.85, clean: 0.98 },
    epochs: 10,
    strategy: async () => { const { fgsm, FGSM_RS_MNIST_PRESET } = await import('@advtrain/fgsm'); return fgsm(FGSM_RS_MNIST_PRESET); },
    schedules: (epochs) => ({ learningRate: cyclicSchedule({ peak: 5e-3, epochs }) }),
    schedule: 'cyclic, 0 → 5e-3 at epoch 4 → 0 at epoch 10',
  },
  'pgd-mnist': {
    ...MNIST,
    title: 'PGD adversarial training, MNIST, ε = 0.3',
    paper: { citation: 'Madry et al., ICLR 2018: MNIST, PGD-40 training, ε = 0.3; 89.6 % under PGD-100 with 50 restarts (MadryLab/mnist_challenge leaderboard)', robust: 0.896, clean: null },
    reference: 'locuslab/fast_adversarial MNIST/train_mnist.py, pgd branch (per-example early stop, cyclic Adam lr_max 5e-3), with 10 steps of 0.075 instead of 40 of 0.01',
    target: { robust: 0.89, clean: null },
    epochs: 5,
    strategy: async () => { const { pgd, PGD_MNIST_PRESET } = await import('@advtrain/pgd'); return pgd(PGD_MNIST_PRESET); },
    schedules: (epochs) => ({ learningRate: cyclicSchedule({ peak: 5e-3, epochs }) }),
    schedule: 'cyclic, 0 → 5e-3 at epoch 2 → 0 at epoch 5',
  },
  'free-at-mnist': {
    ...MNIST,
    title: 'Adversarial training for free (m = 8), MNIST, ε = 0.3',
    paper: { citation: 'Shafahi et al., NeurIPS 2019 publish no MNIST row; the closest published setting is Wong et al. 2020\'s FreeAT re-implementation (m = 8, step = ε, cyclic learning rate)', robust: null, clean: null },
    reference: 'locuslab/fast_adversarial CIFAR10/train_free.py (m 8, step ε, Δ clamped to the valid range, cyclic lr over epochs ÷ m) with the MNIST model, ε and Adam of train_mnist.py, and an ε ramp over the first pass',
    target: { robust: 0.85, clean: null },
    epochs: 3,
    strategy: async () => { const { freeAt, FREE_AT_MNIST_PRESET } = await import('@advtrain/free-at'); return freeAt(FREE_AT_MNIST_PRESET); },
    schedules: (epochs) => ({ learningRate: cyclicSchedule({ peak: 5e-3, epochs }), epsilonScale: linearRamp({ from: 0, to: 1, endEpoch: 1 }) }),
    schedule: 'cyclic over the data epochs, 0 → 5e-3 → 0; ε ramped from 0 to 0.3 over the first pass',
  },
  'yopo-mnist': {
    ...MNIST,
    title: 'YOPO-5-3, MNIST, ε = 0.3',
    paper: { citation: 'Zhang et al., NeurIPS 2019: MNIST, YOPO-5-10, SmallCNN, ε = 0.3: 96.27 % under PGD-40 (40 epochs)', robust: 0.9627, clean: 0.9946 },
    reference: 'a1600012888/YOPO-You-Only-Propagate-Once experiments/MNIST/YOPO-5-10 (m 5, n 10, σ 0.01; here n 3 and σ 0.05 so the 15 steps still cover 2.5·ε, on the Wong et al. CNN with cyclic Adam 5e-3)',
    target: { robust: 0.85, clean: null },
    epochs: 4,
    strategy: async () => { const { yopoPmp } = await import('@advtrain/yopo-pmp'); return yopoPmp({ epsilon: 0.3, outerSteps: 5, innerSteps: 3, stepSize: 0.05 }); },
    schedules: (epochs) => ({ learningRate: cyclicSchedule({ peak: 5e-3, epochs }) }),
    schedule: 'cyclic, 0 → 5e-3 → 0',
  },
};

export const RECIPE_NAMES = Object.keys(RECIPES);
