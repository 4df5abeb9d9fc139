/**
 * The learn side of `--target action` over feature rows already computed: a
 * {@linkcode SoftmaxModel} over the classes of `ACTIONS` and its {@linkcode MultiClassMetrics}.
 * Per batch, in order: each row is scored by the model as it was before learning from it, then
 * learnt, then measured. One plain JSON-able state for the checkpoint; restoring it and
 * continuing equals never stopping. Buffers are reused from batch to batch.
 *
 * @module
 */

import { ACTIONS } from "../events/wire.ts";
import type { AdaGradOptions } from "./adagrad.ts";
import {
  MultiClassMetrics,
  type MultiClassMetricsOptions,
  type MultiClassMetricsState,
} from "./multiclass_metrics.ts";
import { SoftmaxModel, type SoftmaxState } from "./softmax.ts";

/** The plain JSON-able state of an {@linkcode ActionCore}. */
export interface ActionCoreState {
  /** The state's format version. */
  version: 1;
  /** The softmax model. */
  model: SoftmaxState;
  /** Its multi-class metrics. */
  metrics: MultiClassMetricsState;
}

/** Options of {@linkcode ActionCore}. */
export interface ActionCoreOptions {
  /** AdaGrad options (see {@linkcode AdaGradOptions} for the defaults). */
  adagrad?: AdaGradOptions;
  /** Metrics options (see {@linkcode MultiClassMetricsOptions}). */
  metrics?: MultiClassMetricsOptions;
}

/** Softmax model + multi-class metrics over feature rows. */
export class ActionCore {
  #model: SoftmaxModel;
  #metrics: MultiClassMetrics;
  #probs = new Float64Array(0);

  /**
   * Creates a fresh model over the classes of `ACTIONS`, with empty metrics.
   *
   * @param featureNames the rows' feature names, in order
   * @param options see {@linkcode ActionCoreOptions}
   */
  constructor(featureNames: readonly string[], options: ActionCoreOptions = {}) {
    this.#model = new SoftmaxModel(featureNames, ACTIONS.length, options.adagrad);
    this.#metrics = new MultiClassMetrics(ACTIONS.length, options.metrics);
  }

  /** The model (live; `clone()` it for a frozen copy). */
  get model(): SoftmaxModel {
    return this.#model;
  }

  /** The metrics (live). */
  get metrics(): MultiClassMetrics {
    return this.#metrics;
  }

  /**
   * Scores, learns from and measures the `n` rows of `rows` (row-major, the model's width per
   * row) with classes `labels` (indices into `ACTIONS`) and, when known, the true class
   * probabilities `truth` (`ACTIONS.length` per row). Returns the pre-learning probabilities,
   * `ACTIONS.length` per row (valid until the next call).
   */
  learn(rows: Float64Array, n: number, labels: Uint8Array, truth?: Float64Array): Float64Array {
    const k = ACTIONS.length;
    if (this.#probs.length < n * k) {
      this.#probs = new Float64Array(Math.max(n * k, 2 * this.#probs.length));
    }
    const probs = this.#probs;
    this.#model.processBatch(rows, n, labels, probs);
    for (let i = 0; i < n; i++) this.#metrics.add(probs, i * k, labels[i], truth, i * k);
    return probs;
  }

  /** The plain JSON-able state for the checkpoint. */
  toJSON(): ActionCoreState {
    return { version: 1, model: this.#model.toJSON(), metrics: this.#metrics.toJSON() };
  }

  /**
   * Restores from {@linkcode ActionCore.toJSON}'s output.
   * @throws {TypeError} if the state is not a version-1 state (of `featureNames`, when given)
   */
  static fromJSON(state: ActionCoreState, featureNames?: readonly string[]): ActionCore {
    if (state === null || typeof state !== "object" || state.version !== 1) {
      throw new TypeError("Cannot restore an ActionCore: the state is not a version-1 state.");
    }
    const names = state.model?.featureNames;
    if (
      !Array.isArray(names) || (featureNames !== undefined && names.join() !== featureNames.join())
    ) {
      throw new TypeError(
        `Cannot restore an ActionCore: the model's features ${JSON.stringify(names)} are not ${
          JSON.stringify(featureNames)
        }.`,
      );
    }
    const core = new ActionCore(names);
    core.#model = SoftmaxModel.fromJSON(state.model);
    core.#metrics = MultiClassMetrics.fromJSON(state.metrics);
    return core;
  }
}
