import * as tf from '@tensorflow/tfjs-core';

/**
 * A zero-copy snapshot (tfjs tensors are immutable; a clone shares the data)
 * of the model's variables and the optimizer's state, so a step that stepped
 * the optimizer itself (FreeAT's replays) can be undone when its loss or a
 * gradient turns out non-finite.
 */
export interface OptimizerSnapshot {
  restore(): Promise<void>;
  dispose(): void;
}

type Slots = Map<tf.Variable, tf.Tensor>;

function ownVariables(optimizer: tf.Optimizer): tf.Variable[] {
  return Object.values(optimizer as unknown as Record<string, unknown>).filter((v): v is tf.Variable => v instanceof tf.Variable);
}

async function slotVariables(optimizer: tf.Optimizer): Promise<tf.Variable[]> {
  const weights = await optimizer.getWeights();
  const slots: tf.Variable[] = [];
  for (const w of weights) {
    // getWeights() makes a fresh scalar for the iteration count; the slots are the optimizer's own variables.
    if (w.tensor instanceof tf.Variable) slots.push(w.tensor);
    else w.tensor.dispose();
  }
  return slots;
}

export async function snapshotOptimizer(optimizer: tf.Optimizer, variables: readonly tf.Variable[]): Promise<OptimizerSnapshot> {
  const iterations = (optimizer as unknown as { iterations_?: number }).iterations_;
  const saved: Slots = new Map();
  for (const v of [...variables, ...await slotVariables(optimizer), ...ownVariables(optimizer)]) {
    if (!saved.has(v)) saved.set(v, tf.clone(v));
  }
  const dispose = () => saved.forEach((t) => t.dispose());
  return {
    async restore() {
      for (const [v, t] of saved) v.assign(t);
      // Slots the optimizer created during the undone step start over from their initial value.
      const initial = (optimizer as unknown as { initialAccumulatorValue?: number }).initialAccumulatorValue ?? 0;
      for (const v of [...await slotVariables(optimizer), ...ownVariables(optimizer)]) {
        if (!saved.has(v)) tf.tidy(() => v.assign(tf.fill(v.shape, initial, v.dtype)));
      }
      (optimizer as unknown as { iterations_?: number }).iterations_ = iterations;
      dispose();
    },
    dispose,
  };
}
