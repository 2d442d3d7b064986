import { parseArgs } from 'node:util';

/** Flags shared by the examples. `defaults` holds each example's own defaults. */
export function parseFlags(argv, defaults) {
  // `pnpm … start -- --flag` forwards the separator itself; drop it.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const { values } = parseArgs({
    args,
    options: {
      strategy: { type: 'string', default: defaults.strategy },
      epochs: { type: 'string', default: String(defaults.epochs) },
      minutes: { type: 'string' },
      'train-size': { type: 'string', default: String(defaults.trainSize) },
      'test-size': { type: 'string', default: String(defaults.testSize) },
      'batch-size': { type: 'string', default: String(defaults.batchSize) },
      backend: { type: 'string', default: 'wasm' },
      epsilon: { type: 'string', default: String(defaults.epsilon ?? '') },
      seed: { type: 'string', default: '0' },
      'pgd-steps': { type: 'string', default: String(defaults.pgdSteps) },
      restarts: { type: 'string', default: '1' },
      autoattack: { type: 'string', default: String(defaults.autoAttack ?? 0) },
      curve: { type: 'string', default: defaults.curve.join(',') },
      json: { type: 'string' },
      report: { type: 'string' },
      checkpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const int = (name, min = 1) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`${defaults.name}: flag --${name} must be an integer >= ${min} (received ${JSON.stringify(values[name])}).`);
    return v;
  };
  const minutes = values.minutes === undefined ? null : Number(values.minutes);
  if (minutes !== null && !(minutes > 0)) throw new Error(`${defaults.name}: flag --minutes must be a positive number (received ${JSON.stringify(values.minutes)}).`);
  const epsilon = values.epsilon === '' ? null : Number(values.epsilon);
  if (epsilon !== null && !(epsilon > 0)) throw new Error(`${defaults.name}: flag --epsilon must be a positive number (received ${JSON.stringify(values.epsilon)}).`);
  const curve = values.curve.split(',').map(Number);
  if (curve.some((e) => !(e >= 0))) throw new Error(`${defaults.name}: flag --curve must be a comma-separated list of radii >= 0 (received ${JSON.stringify(values.curve)}).`);
  const strategies = values.strategy.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = strategies.filter((s) => !defaults.strategies.includes(s));
  if (unknown.length || !strategies.length) {
    throw new Error(`${defaults.name}: flag --strategy must be a comma-separated list of ${defaults.strategies.join(', ')} (received ${JSON.stringify(values.strategy)}).`);
  }
  return {
    help: values.help, strategies, epochs: int('epochs'), minutes, trainSize: int('train-size'), testSize: int('test-size'),
    batchSize: int('batch-size'), backend: values.backend, epsilon, seed: int('seed', 0), pgdSteps: int('pgd-steps'),
    restarts: int('restarts'), autoAttack: int('autoattack', 0), curve, json: values.json ?? null, report: values.report ?? null, checkpoint: values.checkpoint ?? null,
  };
}

export function usage(name, strategies, extra = '') {
  return `usage: pnpm --filter ${name} start -- [flags]
  --strategy LIST    comma-separated: ${strategies.join(', ')}
  --epochs N         epoch budget            --minutes M   wall-clock budget for training (per strategy)
  --train-size N     training examples       --test-size N test examples
  --batch-size N     minibatch size          --seed N      shuffling, init and attack seed
  --pgd-steps K      PGD steps of the evaluation attack   --restarts R  its random restarts
  --autoattack N     AutoAttack (standard) and that PGD on the first N test examples at the largest ε (0: none)
  --curve LIST       radii of the accuracy-against-ε curve
  --epsilon E        training radius of the adversarial strategies
  --backend NAME     wasm (default), cpu, webgpu, tensorflow, gpu
  --json FILE        machine-readable summary  --report FILE.html  self-contained HTML report
  --checkpoint DIR   write a checkpoint per strategy each epoch and resume from it${extra}`;
}
