"""Converts the MNIST models released with "Fast is better than free" (locuslab/fast_adversarial,
MNIST/models/fgsm.pth and pgd_madry.pth) into a JSON file of float32 weights that
bench/fast-adversarial-mnist.mjs imports as a tfjs layers model. Reads PyTorch's legacy serialization
(the format torch.save used before 1.6) with the standard library only, so no torch install is needed.

Usage: python3 bench/convert-fast-adversarial-mnist.py MNIST/models/fgsm.pth out.json
"""
import json
import pickle
import struct
import sys

MAGIC = 0x1950A86A20F9469CFC6C


class StorageRef:
    def __init__(self, key, dtype):
        self.key, self.dtype = key, dtype


class TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


def rebuild(storage, offset, size, stride, *rest):
    return TensorRef(storage, offset, size, stride)


class Reader(pickle.Unpickler):
    def find_class(self, module, name):
        if module == 'torch._utils' and name.startswith('_rebuild_tensor'):
            return rebuild
        if module == 'torch' and name.endswith('Storage'):
            return name
        if module == 'collections' and name == 'OrderedDict':
            import collections
            return collections.OrderedDict
        raise pickle.UnpicklingError(f'unexpected class {module}.{name}')

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel, view_metadata)
        return StorageRef(pid[2], pid[1])


def load(path):
    with open(path, 'rb') as f:
        if pickle.load(f) != MAGIC:
            raise SystemExit(f'{path}: not a legacy torch.save file')
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        state = Reader(f).load()
        keys = pickle.load(f)
        data = {}
        for key in keys:
            (count,) = struct.unpack('<q', f.read(8))
            data[key] = struct.unpack(f'<{count}f', f.read(4 * count))
    out = {}
    for name, t in state.items():
        if t.storage.dtype != 'FloatStorage':
            raise SystemExit(f'{name}: {t.storage.dtype} is not float32')
        flat = data[t.storage.key]
        # Gather in row-major order through the strides (the released tensors are contiguous).
        values, n = [], 1
        for s in t.size:
            n *= s
        for i in range(n):
            idx, rem = t.offset, i
            for dim in reversed(range(len(t.size))):
                idx += (rem % t.size[dim]) * t.stride[dim]
                rem //= t.size[dim]
            values.append(flat[idx])
        out[name] = {'shape': list(t.size), 'values': values}
    return out


if __name__ == '__main__':
    weights = load(sys.argv[1])
    with open(sys.argv[2], 'w') as f:
        json.dump(weights, f)
    for name, w in weights.items():
        print(name, w['shape'])
