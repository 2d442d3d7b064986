import * as tf from '@tensorflow/tfjs-core';
import { chain } from '../chain.js';
import { clean } from '../clean.js';
import { SPEC_VERSION, type AnyStrategy, type StepContext } from '../contract.js';
import type { AdvtrainError, StrategyOptionsError } from '../errors.js';
import { disposeGrads, type GradMap } from '../grad-map.js';
import { createStepContext } from '../step-context.js';
import { Trainer, type TrainerCheckpoint } from '../trainer.js';
import { backendTolerance, check, expectClose, expectIdentical, liveTensors, values } from './assertions.js';
import { disposeBatch, makeFixture, type Fixture, type FixtureName } from './fixtures.js';

/** One check, as plain data: run it with any test runner (`it(c.name, c.run)`). */
export interface ConformanceCase {
  readonly name: string;
  /** Runs the case; rejects with a `ConformanceError` saying what failed. */
  readonly run: () => Promise<void>;
}

export interface ConformanceSpec<O> {
  /** Options for the behavioural checks. Default: the factory's defaults. */
  readonly options?: O;
  /** Option sets that must be accepted. */
  readonly valid?: readonly O[];
  /** `[options, name of the option the error must name]`. */
  readonly invalid?: ReadonlyArray<readonly [unknown, string]>;
  /** Fixture the strategy runs on. Default: `'mlp'` for input sites (`'linear'` is also available), `'embedding'` otherwise. */
  readonly fixture?: FixtureName;
  /** Relative tolerance for the chain check. Default: backend float precision. */
  readonly tolerance?: number;
  /**
   * npm name of the strategy's package, which its error messages start with,
   * e.g. `'@acme/vat'`. Default: `@advtrain/<name>`.
   */
  readonly packageName?: string;
}

type Factory<O> = (options?: O) => AnyStrategy;

const SEED = 1234;

function sgd(): tf.Optimizer {
  return tf.train.sgd(0.1);
}

function stepContext(fixture: Fixture, batchIndex: number): StepContext & { dispose(): void } {
  const batch = fixture.batch(batchIndex);
  return {
    ...createStepContext({ view: fixture.view, batch, refusal: 'inner max must not step the optimizer' }),
    dispose: () => disposeBatch(batch),
  };
}

async function snapshot(vars: readonly tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map((v) => values(v)));
}

async function trainRun(factory: Factory<unknown>, options: unknown, fixtureName: FixtureName, steps: number): Promise<Float32Array[]> {
  const fixture = makeFixture(fixtureName);
  const optimizer = sgd();
  const trainer = new Trainer(factory(options), { view: fixture.view, optimizer, seed: SEED });
  for (let i = 0; i < steps; i++) {
    const batch = fixture.batch(i);
    await trainer.trainStep(batch);
    disposeBatch(batch);
  }
  const result = await snapshot(fixture.variables);
  trainer.dispose();
  optimizer.dispose();
  fixture.dispose();
  return result;
}

function expectOptionError(fn: () => unknown, option: string, label: string, pkg: string): void {
  try {
    fn();
  } catch (e) {
    const err = e as StrategyOptionsError;
    check(err?.code === 'ADVTRAIN_INVALID_OPTION' || err?.code === 'ADVTRAIN_UNKNOWN_OPTION',
      () => `${label}: expected an option error, got ${String(e)}`);
    check(err.option === option, () => `${label}: error names option "${err.option}", expected "${option}"`);
    check(err.message.startsWith(`${pkg}:`),
      () => `${label}: the message must start with the package name "${pkg}:" (set the kit's packageName option for a package outside @advtrain), but it is: ${err.message}`);
    check(err.message.includes(`"${option}"`) && err.message.includes('received'),
      () => `${label}: the message must name the option "${option}" and the value received, but it is: ${err.message}`);
    return;
  }
  throw new Error(`${label}: expected an error naming option "${option}", but nothing was thrown`);
}

async function expectInBall(strategy: AnyStrategy, delta: tf.Tensor, ctx: StepContext): Promise<void> {
  const { norm, epsilon } = strategy.capabilities.threat;
  if (epsilon !== null && norm !== 'none') {
    const slack = (e: number) => e * (1 + 1e-5) + 1e-6;
    const d = await values(delta);
    if (norm === 'linf') {
      const worst = d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      check(worst <= slack(epsilon), () => `‖δ‖∞ = ${worst} exceeds ε = ${epsilon}`);
    } else {
      const groups = norm === 'l2' ? delta.shape[0] as number : d.length / (delta.shape[delta.rank - 1] as number);
      const size = d.length / groups;
      for (let g = 0; g < groups; g++) {
        const part = d.subarray(g * size, (g + 1) * size);
        const n = norm === 'l2' ? Math.sqrt(part.reduce((s, v) => s + v * v, 0)) : part.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        check(n <= slack(epsilon), () => `${norm} norm of group ${g} is ${n}, above ε = ${epsilon}`);
      }
    }
  }
  const range = ctx.view.validRange;
  if (strategy.capabilities.respectsValidRange && range && ctx.view.site === 'input') {
    const x = await values(ctx.batch.x);
    const d = await values(delta);
    for (let i = 0; i < x.length; i++) {
      const v = (x[i] as number) + (d[i] as number);
      check(v >= range[0] - 1e-6 && v <= range[1] + 1e-6, () => `x + δ = ${v} leaves the valid range [${range}] at ${i}`);
    }
  }
}

/**
 * The conformance kit: checks every strategy must pass, as runner-free cases.
 *
 * ```ts
 * for (const c of conformanceCases(pgd, { options: { steps: 3 }, invalid: [[{ steps: 0 }, 'steps']] })) it(c.name, c.run);
 * ```
 */
export function conformanceCases<O>(factory: Factory<O>, spec: ConformanceSpec<O> = {}): ConformanceCase[] {
  const make = factory as Factory<unknown>;
  const probeStrategy = factory(spec.options);
  const name = probeStrategy.name;
  const pkg = spec.packageName ?? `@advtrain/${name}`;
  const fixtureName: FixtureName = spec.fixture ?? (probeStrategy.capabilities.sites.includes('input') ? 'mlp' : 'embedding');
  const cases: ConformanceCase[] = [];
  const add = (title: string, run: () => Promise<void>) => cases.push({ name: `${name}: ${title}`, run });

  add('defaults resolve and the spec version matches core', async () => {
    const s = factory();
    check(s.specVersion === SPEC_VERSION, () => `specVersion ${s.specVersion} !== ${SPEC_VERSION}`);
    check(Object.isFrozen(s.options), () => 'options must be frozen');
    for (const [k, v] of Object.entries(s.options as object)) check(v !== undefined, () => `option "${k}" has no default`);
    check(s.toString().startsWith(`${s.name}(`), () => `toString() should start with "${s.name}(": ${s.toString()}`);
  });
  spec.valid?.forEach((options, i) => add(`valid option set #${i} is accepted`, async () => { factory(options); }));
  spec.invalid?.forEach(([options, option]) => add(`rejects invalid "${option}" (${JSON.stringify(options)})`, async () => {
    expectOptionError(() => make(options), option, name, pkg);
  }));
  add('rejects unknown options with a suggestion', async () => {
    expectOptionError(() => make({ notAnOption: 1 }), 'notAnOption', name, pkg);
  });

  add('δ stays in the declared ε-ball and x + δ in the valid range', async () => {
    const fixture = makeFixture(fixtureName);
    const ctx = stepContext(fixture, 0);
    const s = factory(spec.options);
    const state = s.init({ view: fixture.view, seed: SEED });
    const inner = s.innerMax(ctx, state);
    const optimizer = sgd();
    try {
      if (inner.delta) await expectInBall(s, inner.delta, ctx);
    } finally {
      // Strategies that declare stepsOptimizer step in their outer min; the inner max never may.
      const outer = s.outerMin({ ...ctx, applyGradients: (g) => optimizer.applyGradients(g) }, inner);
      optimizer.dispose();
      outer.loss.dispose();
      disposeGrads(outer.grads);
      s.dispose(outer.state);
      ctx.dispose();
      fixture.dispose();
    }
  });

  add('the inner max leaves the parameters unchanged', async () => {
    const fixture = makeFixture(fixtureName);
    const before = await snapshot(fixture.variables);
    const ctx = stepContext(fixture, 0);
    const s = factory(spec.options);
    const inner = s.innerMax(ctx, s.init({ view: fixture.view, seed: SEED }));
    const after = await snapshot(fixture.variables);
    for (let i = 0; i < before.length; i++) await expectIdentical(after[i] as Float32Array, before[i] as Float32Array, `variable ${i}`);
    s.dispose(inner.state);
    tf.dispose([inner.delta, inner.loss ?? null].filter((t): t is tf.Tensor => t !== null));
    disposeGrads(inner.grads);
    tf.dispose(Object.values(inner.extras ?? {}).filter((t): t is tf.Tensor => t !== null));
    ctx.dispose();
    fixture.dispose();
  });

  add('the same seed gives the same training run', async () => {
    const a = await trainRun(make, spec.options, fixtureName, 2);
    const b = await trainRun(make, spec.options, fixtureName, 2);
    for (let i = 0; i < a.length; i++) await expectIdentical(a[i] as Float32Array, b[i] as Float32Array, `variable ${i}`);
  });

  add('a step leaks no tensors', async () => {
    const fixture = makeFixture(fixtureName);
    const batch = fixture.batch(0);
    const baseline = liveTensors();
    const optimizer = sgd();
    const trainer = new Trainer(factory(spec.options), { view: fixture.view, optimizer, seed: SEED });
    await trainer.trainStep(batch);
    const warm = liveTensors();
    for (let i = 0; i < 3; i++) await trainer.trainStep(batch);
    check(liveTensors() === warm, () => `tensor count grew from ${warm} to ${liveTensors()} over 3 steps`);
    trainer.dispose();
    optimizer.dispose();
    check(liveTensors() === baseline, () => `${liveTensors() - baseline} tensors left after dispose()`);
    disposeBatch(batch);
    fixture.dispose();
  });

  add('a checkpoint resumes the run exactly', async () => {
    const uninterrupted = await trainRun(make, spec.options, fixtureName, 3);
    let saved: TrainerCheckpoint;
    {
      const fixture = makeFixture(fixtureName);
      const optimizer = sgd();
      const trainer = new Trainer(factory(spec.options), { view: fixture.view, optimizer, seed: SEED });
      const batch = fixture.batch(0);
      await trainer.trainStep(batch);
      disposeBatch(batch);
      saved = JSON.parse(JSON.stringify(await trainer.checkpoint())) as TrainerCheckpoint;
      trainer.dispose();
      optimizer.dispose();
      fixture.dispose();
    }
    const fixture = makeFixture(fixtureName);
    const optimizer = sgd();
    const trainer = new Trainer(factory(spec.options), { view: fixture.view, optimizer, seed: SEED });
    await trainer.restore(saved);
    for (let i = 1; i < 3; i++) {
      const batch = fixture.batch(i);
      await trainer.trainStep(batch);
      disposeBatch(batch);
    }
    const resumed = await snapshot(fixture.variables);
    for (let i = 0; i < resumed.length; i++) await expectIdentical(resumed[i] as Float32Array, uninterrupted[i] as Float32Array, `variable ${i}`);
    trainer.dispose();
    optimizer.dispose();
    fixture.dispose();
  });

  add('works inside chain(): the gradient is the sum of the parts', async () => {
    const s = factory(spec.options);
    if (s.capabilities.stepsOptimizer) {
      let code: string | undefined;
      try { chain(s, clean()); } catch (e) { code = (e as AdvtrainError).code; }
      check(code === 'ADVTRAIN_UNSUPPORTED', () => 'chain() must refuse a strategy that steps the optimizer itself');
      return;
    }
    const gradsOf = async (strategy: AnyStrategy): Promise<GradMap> => {
      const fixture = makeFixture(fixtureName);
      const trainer = new Trainer(strategy, { view: fixture.view, optimizer: sgd(), seed: SEED });
      const batch = fixture.batch(0);
      const { loss, grads } = trainer.gradients(batch);
      loss.dispose();
      disposeBatch(batch);
      trainer.dispose();
      const byIndex: GradMap = {};
      fixture.variables.forEach((v, i) => { byIndex[String(i)] = grads[v.name] ?? tf.zerosLike(v); });
      fixture.dispose();
      return byIndex;
    };
    const alone = await gradsOf(factory(spec.options));
    const base = await gradsOf(clean());
    const both = await gradsOf(chain(factory(spec.options), clean()));
    for (const key of Object.keys(both)) {
      const sum = tf.add(alone[key] as tf.Tensor, base[key] as tf.Tensor);
      await expectClose(both[key] as tf.Tensor, sum, spec.tolerance ?? backendTolerance(), `gradient ${key}`);
      sum.dispose();
    }
    [alone, base, both].forEach(disposeGrads);
  });
  return cases;
}
