/**
 * The multi-class counterpart of {@linkcode Learner} for `--target action`: the featurizer of a
 * feature set with its session store, a {@linkcode SoftmaxModel} over the classes of `ACTIONS`
 * and {@linkcode MultiClassMetrics}. Per batch, in order: each event is featurized, scored by
 * the model as it was before learning from it, learnt, then measured. Batches are reused.
 *
 * @module
 */

import { ACTIONS, type WireEvent } from "../events/wire.ts";
import type { AdaGradOptions } from "./adagrad.ts";
import { FeatureBatch } from "./feature_batch.ts";
import type { FeatureSet } from "./feature_set.ts";
import { DEFAULT_FEATURE_SET } from "./feature_sets.ts";
import { Featurizer } from "./features.ts";
import { ActionCore } from "./action_core.ts";
import type { MultiClassMetrics, MultiClassMetricsOptions } from "./multiclass_metrics.ts";
import type { SoftmaxModel } from "./softmax.ts";

const ACTION_CODE = new Map<string, number>(ACTIONS.map((a, i) => [a, i]));

/** Options of {@linkcode ActionLearner}. */
export interface ActionLearnerOptions {
  /** The features. Default `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /** AdaGrad options (see {@linkcode AdaGradOptions} for the defaults). */
  adagrad?: AdaGradOptions;
  /** Metrics options (see {@linkcode MultiClassMetricsOptions}). */
  metrics?: MultiClassMetricsOptions;
  /** Initial batch capacity in events. Default `10000`. */
  batchCapacity?: number;
}

/** Options of {@linkcode ActionLearner.learn}. */
export interface ActionLearnOptions {
  /**
   * The true class probabilities, `ACTIONS.length` per event in event order, when known (the
   * generator). Default: unknown.
   */
  truth?: Float64Array;
}

/** Featurizer + softmax model + multi-class metrics. */
export class ActionLearner {
  #core: ActionCore;
  #featurizer: Featurizer;
  #batch: FeatureBatch;
  #labels: Uint8Array;

  /**
   * Creates a learner with an empty session store and a fresh model.
   *
   * @param options see {@linkcode ActionLearnerOptions}
   */
  constructor(options: ActionLearnerOptions = {}) {
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    const capacity = options.batchCapacity ?? 10_000;
    this.#featurizer = new Featurizer({ featureSet: set });
    // The softmax learns from the dense part only: a set's hashed url entries are written, unread.
    this.#batch = new FeatureBatch(set.width, { capacity, sparseWidth: set.urlBuckets ?? 0 });
    this.#core = new ActionCore(set.names, options);
    this.#labels = new Uint8Array(capacity);
  }

  /** The model (live). */
  get model(): SoftmaxModel {
    return this.#core.model;
  }

  /** The metrics (live). */
  get metrics(): MultiClassMetrics {
    return this.#core.metrics;
  }

  /**
   * Featurizes, scores, learns and measures `events`, in order; returns the pre-learning class
   * probabilities (`ACTIONS.length` per event; valid until the next call).
   *
   * @throws {RangeError} if `truth` is not `ACTIONS.length` values per event
   */
  learn(events: readonly WireEvent[], options: ActionLearnOptions = {}): Float64Array {
    const k = ACTIONS.length, n = events.length, truth = options.truth;
    if (truth !== undefined && truth.length < n * k) {
      throw new RangeError(
        `Cannot learn from ${n} events with ${truth.length} true probabilities: expected ${n * k}.`,
      );
    }
    if (this.#labels.length < n) this.#labels = new Uint8Array(n);
    const batch = this.#batch, labels = this.#labels;
    batch.clear();
    for (let i = 0; i < n; i++) {
      this.#featurizer.push(events[i], batch);
      labels[i] = ACTION_CODE.get(events[i].action) ?? 0;
    }
    return this.#core.learn(batch.rows, n, labels, truth);
  }
}

/**
 * Scores a session's events in order with `model`, each given only the events before it:
 * one probability per class (`ACTIONS` order) per event. Changes nothing.
 *
 * @throws {RangeError} if the model is not of `featureSet`'s features
 */
export function scoreSessionActions(
  model: SoftmaxModel,
  events: readonly WireEvent[],
  featureSet: FeatureSet,
): number[][] {
  if (model.featureNames.join() !== featureSet.names.join()) {
    throw new RangeError(
      `Cannot score a session with a model of ${model.width} features with feature set "${featureSet.name}" (${featureSet.width} features).`,
    );
  }
  const f = new Featurizer({ featureSet, maxSessions: Math.max(1, events.length) });
  const row = new Float64Array(featureSet.width);
  const out: number[][] = [];
  for (const e of events) {
    f.featurize(e, row);
    out.push(Array.from(model.predict(row)));
    f.observe(e);
  }
  return out;
}
