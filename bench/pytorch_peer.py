#!/usr/bin/python3
"""Peer comparison (optional, prints numbers; not a test).

Runs the benchmark suite's models, batches and steps in PyTorch on the CPU, with Debian's python3-torch
(plus an optimized BLAS: libopenblas0-openmp) or a PyTorch wheel in a venv:
  /usr/bin/python3 bench/pytorch_peer.py [--steps 15] [--warmup 3] [--threads 1,2] [--out FILE]
  VENV/bin/python bench/pytorch_peer.py --out bench/results/pytorch-peer-wheel.json
It prints the torch version and the BLAS the process really calls, and refuses the reference (netlib) BLAS
unless --allow-reference-blas is given.

Methods: clean, FGSM with random start, PGD-10, FreeAT-4, YOPO-5-3 on the MNIST CNN of "Fast is
better than free" (batch 100, eps 0.3), and clean and FreeLB-3 on the spam-text embedding model
(embedding 5000x32, masked mean pool, dense 2; batch 64 of 128 tokens). Attack passes compute only
the input gradient (torch.autograd.grad), as ours do. Writes bench/results/pytorch-peer.json and,
when bench/results/performance-wasm.json exists (from `pnpm bench`), prints ours / PyTorch per method
(medians; docs/performance.md also shows the ratio of the minima).
Then `pnpm bench -- --render` puts the table into docs/performance.md.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


class MnistNet(nn.Module):
    """conv 1->16 4x4/2 (TF 'same' = padding 1 here), ReLU, conv 16->32 4x4/2, ReLU, dense 1568->100, ReLU, dense 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 4, stride=2, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 100)
        self.fc2 = nn.Linear(100, 10)

    def layer_one(self, x):
        return F.relu(self.conv1(x))

    def rest(self, z):
        h = F.relu(self.conv2(z))
        return self.fc2(F.relu(self.fc1(h.flatten(1))))

    def forward(self, x):
        return self.rest(self.layer_one(x))


class TextNet(nn.Module):
    def __init__(self, vocab=5000, hidden=32):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.dense = nn.Linear(hidden, 2)

    def head(self, e, mask):
        m = mask.unsqueeze(-1)
        pooled = (e * m).sum(1) / m.sum(1).clamp(min=1)
        return self.dense(pooled)


EPS_MNIST = 0.3


def mnist_batch(b=100):
    g = torch.Generator().manual_seed(7)
    return torch.rand(b, 1, 28, 28, generator=g), torch.randint(0, 10, (b,), generator=g)


def text_batch(b=64, t=128):
    g = torch.Generator().manual_seed(7)
    lens = torch.randint(16, t, (b,), generator=g)
    mask = (torch.arange(t).unsqueeze(0) < lens.unsqueeze(1)).float()
    ids = (torch.randint(1, 5000, (b, t), generator=g) * mask.long())
    return ids, mask, torch.randint(0, 2, (b,), generator=g)


def clamp_delta(x, d, eps):
    return torch.clamp(torch.clamp(x + d, 0, 1) - x, -eps, eps)


def mnist_methods(net, opt):
    eps = EPS_MNIST
    state = {'buffer': None}

    def step(loss):
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def clean(x, y):
        step(F.cross_entropy(net(x), y))

    def fgsm_rs(x, y):
        d = torch.empty_like(x).uniform_(-eps, eps)
        d = (torch.clamp(x + d, 0, 1) - x).requires_grad_(True)
        g, = torch.autograd.grad(F.cross_entropy(net(x + d), y), d)
        d = clamp_delta(x, d.detach() + 1.25 * eps * g.sign(), eps)
        step(F.cross_entropy(net(x + d), y))

    def pgd10(x, y):
        d = torch.empty_like(x).uniform_(-eps, eps)
        d = torch.clamp(x + d, 0, 1) - x
        for _ in range(10):
            d.requires_grad_(True)
            g, = torch.autograd.grad(F.cross_entropy(net(x + d), y), d)
            d = clamp_delta(x, d.detach() + 0.25 * eps * g.sign(), eps)
        step(F.cross_entropy(net(x + d), y))

    def free_at4(x, y):
        if state['buffer'] is None:
            state['buffer'] = torch.zeros_like(x)
        d = state['buffer']
        for _ in range(4):
            d = d.detach().requires_grad_(True)
            loss = F.cross_entropy(net(torch.clamp(x + d, 0, 1)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # one pass: weight gradients and dL/dd together
            opt.step()
            d = torch.clamp(d.detach() + eps * d.grad.sign(), -eps, eps)
        state['buffer'] = d

    def yopo53(x, y):
        eta = torch.empty_like(x).uniform_(-eps, eps)
        opt.zero_grad(set_to_none=True)
        for j in range(5):
            inp = x + eta if j == 0 else torch.clamp(x + eta, 0, 1)
            z = net.layer_one(inp)
            z.retain_grad()
            loss = F.cross_entropy(net.rest(z), y)
            loss.backward()  # accumulates weight gradients; co-state at the layer-one output
            p = z.grad.detach()
            for _ in range(3):
                eta = eta.detach().requires_grad_(True)
                h = (net.layer_one(torch.clamp(x + eta, 0, 1)) * p).sum()
                g, = torch.autograd.grad(h, eta)
                eta = clamp_delta(x, eta.detach() + 0.01 * g.sign(), eps)
            (net.layer_one(torch.clamp(x + eta, 0, 1)) * p).sum().backward()  # extra first-layer term
        opt.step()

    return {'clean': clean, 'fgsm-rs': fgsm_rs, 'pgd-10': pgd10, 'free-at m=4': free_at4, 'yopo-pmp 5-3': yopo53}


def text_methods(net, opt):
    eps = 1.0

    def clean(ids, mask, y):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net.head(net.embedding(ids), mask), y).backward()
        opt.step()

    def freelb3(ids, mask, y):
        m = mask.unsqueeze(-1)
        e_shape = (*ids.shape, net.embedding.embedding_dim)
        lengths = mask.sum(1) * e_shape[-1]
        d = torch.empty(e_shape).uniform_(-1, 1) * m
        d = (d * ((eps / 2) / torch.sqrt(lengths)).view(-1, 1, 1)).requires_grad_(True)
        opt.zero_grad(set_to_none=True)
        for t in range(3):
            loss = F.cross_entropy(net.head(net.embedding(ids) + d, mask), y) / 3
            loss.backward()
            if t < 2:
                g = d.grad.detach() * m
                norm = g.flatten(1).norm(dim=1).clamp(min=1e-8).view(-1, 1, 1)
                d = d.detach() + (eps / 3) * g / norm
                dn = d.flatten(1).norm(dim=1).view(-1, 1, 1)
                d = (d * torch.clamp(eps / dn.clamp(min=1e-12), max=1)).requires_grad_(True)
        opt.step()

    return {'clean': clean, 'freelb-3': freelb3}


def cpu_vectors():
    """The vector instructions PyTorch's kernels use (AVX512, AVX2, ...) where torch reports them, else the CPU's widest (/proc/cpuinfo)."""
    get = getattr(getattr(torch.backends, 'cpu', None), 'get_cpu_capability', None)
    if get is not None:
        return get()
    try:
        with open('/proc/cpuinfo') as f:
            flags = f.read().split()
    except OSError:
        return None
    return 'AVX512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else 'SSE'


def _sgemm_library():
    """Path of the library whose sgemm_ libtorch_cpu calls (dlsym in its own lookup order, then dladdr), or None."""
    try:
        with open('/proc/self/maps') as f:
            lib = next((line.split()[-1] for line in f if 'libtorch_cpu' in line), None)
        if lib is None:
            return None
        handle = ctypes.CDLL(lib, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        address = ctypes.cast(handle.sgemm_, ctypes.c_void_p).value

        class DlInfo(ctypes.Structure):
            _fields_ = [('fname', ctypes.c_char_p), ('fbase', ctypes.c_void_p), ('sname', ctypes.c_char_p), ('saddr', ctypes.c_void_p)]

        info = DlInfo()
        if ctypes.CDLL(None).dladdr(ctypes.c_void_p(address), ctypes.byref(info)) == 0:
            return None
        return os.path.realpath(info.fname.decode())
    except (OSError, AttributeError, StopIteration):
        return None


def blas_in_use():
    """The BLAS this PyTorch really calls, as (name, detail, is_reference).

    Debian's python3-torch is built against the generic libblas.so.3, which the alternatives system (or
    LD_LIBRARY_PATH) points to OpenBLAS, BLIS or the slow reference (netlib) BLAS; a pip wheel links MKL or
    OpenBLAS into torch. The answer is the library that defines the sgemm_ libtorch resolves.
    """
    a = torch.randn(64, 64)
    (a @ a).sum().item()  # make sure the BLAS library is loaded
    config = torch.__config__.show()
    info = next((part.split('=', 1)[1] for part in config.replace(',', ' ').split() if part.startswith('BLAS_INFO=')), '?')
    path = _sgemm_library()
    base = os.path.basename(path or '').lower()
    if path is None or 'libtorch' in base:
        name = 'MKL' if info == 'mkl' or 'Math Kernel Library' in config else f'BLAS_INFO={info}'
        return name, f'BLAS_INFO={info}, linked into torch', False
    for key, name in (('openblas', 'OpenBLAS'), ('blis', 'BLIS'), ('mkl', 'MKL'), ('atlas', 'ATLAS')):
        if key in path.lower():
            return name, path, False
    if '/blas/' in path or base.startswith('libblas.so'):
        return 'reference BLAS (netlib)', path, True
    return f'unknown (BLAS_INFO={info})', path, False


def time_ms(fn, args, steps, warmup):
    """Median and minimum ms per call: the machine is shared, so the minimum is the least disturbed run."""
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        fn(*args)
        ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(ms)
    return statistics.median(times), min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=15)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--out', default=os.path.join(HERE, 'results', 'pytorch-peer.json'))
    ap.add_argument('--allow-reference-blas', action='store_true',
                    help='time PyTorch even on the reference (netlib) BLAS, which is several times slower than what users have')
    args = ap.parse_args()
    blas, blas_detail, reference = blas_in_use()
    print(f'PyTorch {torch.__version__}, BLAS: {blas} ({blas_detail}), oneDNN: {torch.backends.mkldnn.is_available()}', flush=True)
    if reference and not args.allow_reference_blas:
        raise SystemExit('pytorch_peer: refusing to time PyTorch on the reference BLAS, which no user has; install an optimized one '
                         '(Debian: apt-get install libopenblas0-openmp) or a PyTorch wheel in a venv, or pass --allow-reference-blas.')
    threads = [int(t) for t in args.threads.split(',')]
    rows = {}
    loads = []
    gemm = {}
    for n in threads:
        torch.set_num_threads(n)
        torch.manual_seed(0)
        loads.append(os.getloadavg()[0])
        # The BLAS's own speed: a 512³ matrix product, the ceiling of every convolution and dense layer.
        a, b = torch.randn(512, 512), torch.randn(512, 512)
        gemm[str(n)] = time_ms(lambda p, q: p @ q, (a, b), 30, 5)[0]
        print(f'{n} thread(s) 512³ matmul: {gemm[str(n)]:.2f} ms ({2 * 512 ** 3 / gemm[str(n)] / 1e6:.1f} GFLOP/s)', flush=True)
        xb, yb = mnist_batch()
        for name in mnist_methods(MnistNet(), None):
            net = MnistNet()
            fn = mnist_methods(net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9))[name]
            rows.setdefault(('mnist', name), {})[str(n)] = time_ms(fn, (xb, yb), args.steps, args.warmup)
            print(f'{n} thread(s) mnist {name}: median {rows[("mnist", name)][str(n)][0]:.1f} ms', flush=True)
        ids, mask, y = text_batch()
        for name in text_methods(TextNet(), None):
            net = TextNet()
            fn = text_methods(net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9))[name]
            rows.setdefault(('text', name), {})[str(n)] = time_ms(fn, (ids, mask, y), args.steps, args.warmup)
            print(f'{n} thread(s) text {name}: median {rows[("text", name)][str(n)][0]:.1f} ms', flush=True)
    out = {
        'torch': torch.__version__, 'blas': blas, 'blasDetail': blas_detail, 'python': sys.executable, 'threads': threads, 'load': loads, 'steps': args.steps, 'warmup': args.warmup,
        'gemm512Ms': gemm, 'cpuVectors': cpu_vectors(),
        'results': [{'model': m, 'method': k, 'ms': {t: v[t][0] for t in v}, 'minMs': {t: v[t][1] for t in v}}
                    for (m, k), v in rows.items()],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=2)
    print(f'wrote {args.out}')
    ours_path = os.path.join(HERE, 'results', 'performance-wasm.json')
    if os.path.exists(ours_path):
        with open(ours_path) as f:
            ours = {(r['model'], r['strategy']): r['medianMs'] for r in json.load(f)['results']}
        print('\n| model | method | ' + ' | '.join(f'ours / PyTorch ({t} thr)' for t in threads) + ' |')
        print('|---|---|' + '---|' * len(threads))
        for (m, k), v in rows.items():
            o = ours.get((m, k))
            cells = [f'{o / v[str(t)][0]:.2f}' if o else '–' for t in threads]
            print(f'| {m} | {k} | ' + ' | '.join(cells) + ' |')
    else:
        print('no bench/results/performance-wasm.json yet: run `pnpm bench` for the ratios')


if __name__ == '__main__':
    main()
