/**
 * Threads that run advtrain's SIMD kernels on tfjs-backend-wasm's shared heap. Each worker instantiates
 * the module on the same `WebAssembly.Memory` and sleeps on its slot of a small shared control block;
 * `run` hands every worker one call, makes the first call itself, and waits for the rest. tfjs kernels are
 * synchronous, so the caller blocks: `Atomics.wait` where the thread may wait (Node, workers), a spin on
 * the browser's main thread.
 */

import { isNode } from '../../runtime.js';

// Per worker: Int32 [request, function, done, failed] then ARGS float64 arguments.
const INTS = 4;
const ARGS = 20;
const SLOT_BYTES = INTS * 4 + ARGS * 8;

/**
 * Milliseconds a waiting thread polls its control word before it sleeps: waking a sleeping thread takes tens of
 * microseconds (more where the idle core was halted), and a training step dispatches many split kernels.
 */
const SPIN_MS = 0.5;

/** The worker's whole program; plain JavaScript for Node's `worker_threads` and browsers' `Worker`. */
const WORKER_SOURCE = `
const SPIN_MS = ${SPIN_MS};
const start = ({ module, memory, control, slot, names, slotBytes, ints, args }) => {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const fns = names.map((name) => exports[name]);
  const ctl = new Int32Array(control, slot * slotBytes, ints);
  const argv = new Float64Array(control, slot * slotBytes + ints * 4, args);
  let seen = 0;
  post('ready');
  for (;;) {
    // The next call usually comes within microseconds (a step runs many kernels): spin a little before sleeping.
    for (const until = performance.now() + SPIN_MS; Atomics.load(ctl, 0) === seen && performance.now() < until;);
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    try {
      const fn = fns[ctl[1]];
      fn(...argv.subarray(0, fn.length));
      ctl[3] = 0;
    } catch (error) {
      ctl[3] = 1;
    }
    Atomics.store(ctl, 2, seen);
    Atomics.notify(ctl, 2);
  }
};
let post;
if (typeof process === 'object' && typeof require === 'function') {
  const { parentPort, workerData } = require('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  start(workerData);
} else {
  post = (m) => self.postMessage(m);
  self.onmessage = (event) => start(event.data);
}
`;

interface WorkerHandle {
  terminate(): unknown;
}

/** One call of an exported function, with its numeric arguments. */
export interface SimdCall {
  fn: string;
  args: number[];
}

/** The worker threads of one backend's SIMD module. */
export interface SimdPool {
  /** Threads that run calls: the workers and the calling thread. */
  readonly threads: number;
  /** Runs `calls[0]` here and the others on the workers, and returns when all are done. */
  run(calls: SimdCall[], local: (call: SimdCall) => void): void;
  /** Stops the workers. */
  terminate(): void;
}

const canBlock = (): boolean => isNode() ||
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

async function spawn(data: object): Promise<WorkerHandle> {
  if (isNode()) {
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    await new Promise<void>((resolve, reject) => { worker.once('message', () => resolve()); worker.once('error', reject); });
    worker.unref(); // sleeping workers must not keep Node alive
    return worker;
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.postMessage(data);
  await new Promise<void>((resolve, reject) => {
    worker.onmessage = () => resolve();
    worker.onerror = (event) => reject(new Error(event.message));
  });
  URL.revokeObjectURL(url);
  return worker;
}

/** Starts `threads − 1` workers running `module` on `memory`; `names` are the exports calls may name. */
export async function startSimdPool(module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number,
  names: readonly string[]): Promise<SimdPool> {
  const workers = threads - 1;
  const control = new SharedArrayBuffer(Math.max(1, workers) * SLOT_BYTES);
  const handles = await Promise.all(Array.from({ length: workers }, (_, slot) =>
    spawn({ module, memory, control, slot, names: [...names], slotBytes: SLOT_BYTES, ints: INTS, args: ARGS })));
  const slots = handles.map((_, k) => ({
    ctl: new Int32Array(control, k * SLOT_BYTES, INTS),
    argv: new Float64Array(control, k * SLOT_BYTES + INTS * 4, ARGS),
  }));
  const blocking = canBlock();
  const index = new Map(names.map((name, i) => [name, i]));
  let generation = 0;
  return {
    threads,
    run(calls, local) {
      const remote = calls.length - 1;
      if (remote > workers) throw new Error(`@advtrain/backends: ${calls.length} SIMD calls for ${threads} threads.`);
      generation++;
      for (let k = 0; k < remote; k++) {
        const { ctl, argv } = slots[k]!;
        const call = calls[k + 1]!;
        ctl[1] = index.get(call.fn)!;
        argv.set(call.args);
        Atomics.store(ctl, 0, generation);
        Atomics.notify(ctl, 0);
      }
      local(calls[0]!);
      let failed = false;
      for (let k = 0; k < remote; k++) {
        const { ctl } = slots[k]!;
        const until = performance.now() + SPIN_MS;
        for (let done = Atomics.load(ctl, 2); done !== generation; done = Atomics.load(ctl, 2)) {
          if (blocking && performance.now() > until) Atomics.wait(ctl, 2, done);
        }
        failed ||= ctl[3] === 1;
      }
      if (failed) throw new Error(`@advtrain/backends: a SIMD worker failed in ${calls.map((c) => c.fn).join(', ')}.`);
    },
    terminate() {
      for (const handle of handles) void handle.terminate();
    },
  };
}

/** Splits [0, units) into at most `parts` contiguous ranges of near-equal size, each a multiple of `step` but the last. */
export function splitRange(units: number, parts: number, step = 1): Array<[number, number]> {
  const blocks = Math.ceil(units / step);
  const count = Math.max(1, Math.min(parts, blocks));
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < count; k++) {
    const begin = Math.floor((blocks * k) / count) * step;
    const end = Math.min(units, Math.floor((blocks * (k + 1)) / count) * step);
    if (end > begin) ranges.push([begin, end]);
  }
  return ranges;
}

/** Multiply-adds below which one more thread costs more (waking it, cache traffic) than it saves. */
const WORK_PER_THREAD = 1 << 20;

/** How many of `threads` threads a kernel of `work` multiply-adds should use. */
export function workersFor(threads: number, work: number): number {
  return Math.max(1, Math.min(threads, Math.floor(work / WORK_PER_THREAD)));
}
