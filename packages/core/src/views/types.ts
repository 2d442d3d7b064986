import type * as tf from '@tensorflow/tfjs-core';
import type { DropoutControl } from '../dropout.js';

/** One minibatch. `x` is pixels or token ids; `y` is class indices ([B], int32) or one-hot / targets. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  /** Optional attention mask [B, T] (1 = token, 0 = padding) for embedding sites. */
  readonly mask?: tf.Tensor;
}

/** Where the perturbation δ is added. */
export type PerturbationSite = 'input' | 'embedding';

/** Options of one forward pass through a view. */
export interface ForwardOptions {
  /** Training mode (dropout on, batch-norm batch statistics). Default true. */
  readonly training?: boolean;
  /** Input sites: feed `clamp(x + δ, lo, hi)` instead of `x + δ` (FreeAT, YOPO). Gradient is zero where clamped. */
  readonly clampInput?: boolean;
  /** Added to the layer-one output z; its gradient is the co-state ∂L/∂z (YOPO). */
  readonly layerOneTap?: tf.Tensor;
  /**
   * A constant co-state c shaped like the layer-one output z: the backward pass adds c to ∂L/∂z,
   * as if `Σ z ⊙ c` were added to the objective, without changing the forward value. It fuses
   * YOPO's extra first-layer term into the next full pass. Does not change ∂L/∂tap.
   */
  readonly layerOneCostate?: tf.Tensor;
}

/** What a user-written forward function receives. */
export interface ForwardContext {
  readonly training: boolean;
  /** Attention mask for embedding sites ([B, T], float 0/1), or null. */
  readonly mask: tf.Tensor | null;
  /** Dropout whose masks the training step controls (frozen within a step when the strategy asks). */
  dropout(x: tf.Tensor, rate: number, noiseShape?: number[]): tf.Tensor;
}

/**
 * A model seen from the perturbation site. Strategies talk to models only
 * through a view, so one strategy runs on function-style models and on
 * `tf.LayersModel`s alike.
 */
export interface ModelView {
  readonly site: PerturbationSite;
  /** Trainable variables in a stable order; gradient maps are keyed by their names. */
  readonly variables: readonly tf.Variable[];
  /** Valid range of x + δ for input sites (e.g. [0, 1] for pixels), or null. The clean input x must lie in it. */
  readonly validRange: readonly [number, number] | null;
  /** Dropout control shared by every forward of this view. */
  readonly dropout: DropoutControl;
  /**
   * Shape of x for input sites, batch dimension first (null for any size),
   * e.g. [null, 28, 28, 1]; batches are checked against it. Absent or null:
   * the trainer takes the shape of the first batch that trains.
   */
  readonly inputShape?: readonly (number | null)[] | null;
  /** Number of classes (logits), when known; labels are checked against it. */
  readonly classes?: number | null;
  /** Shape of δ for this batch: x's shape for inputs, [B, T, H] for embeddings. */
  siteShape(batch: Batch): number[];
  /** Mask [B, T] (float 0/1) of real tokens for embedding sites; null for inputs. Caller disposes. */
  siteMask(batch: Batch): tf.Tensor | null;
  /** Logits at site + δ (δ null means clean). */
  forward(batch: Batch, delta: tf.Tensor | null, options?: ForwardOptions): tf.Tensor;
  /** The layer-one split (YOPO), when the view was given one. */
  readonly layerOne: LayerOneSplit | null;
  /** Runs `fn` and then restores batch-norm moving statistics, so attack passes do not move them. */
  preservingStatistics<T>(fn: () => T): T;
}

/** Layer one f0 of `f = f_rest ∘ f0`, for input sites. */
export interface LayerOneSplit {
  /** θ0: the trainable variables of layer one. */
  readonly variables: readonly tf.Variable[];
  /** z = f0(x + δ) (clamped to the valid range when asked). */
  forward(batch: Batch, delta: tf.Tensor | null, options?: ForwardOptions): tf.Tensor;
}
