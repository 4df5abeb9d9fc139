/**
 * The whole pipeline over one stream of events, in one object: a {@linkcode Featurizer} (the
 * featurize side: one feature set, one session store, point-in-time features) feeding the same
 * {@linkcode BatchLearner} the trainer's learn stage runs, with the same defaults (the learn
 * side: model, prequential metrics, drift detector), over micro-batches of already-validated
 * {@linkcode WireEvent}s. Per batch, in order: each event is featurized from what was known
 * before it (its row never reads its own action or amount), then recorded in the session state,
 * then scored by the model as it was before learning from it, then learnt, then measured. For in-process use on a
 * single stream (tests, benchmarks); the trainer runs the two sides as separate stages, with one
 * session store per input partition (`src/stream/`); `quality` runs this. One plain JSON-able
 * state (feature set, session store, model, metrics) for the checkpoint; restoring it and
 * continuing equals never stopping.
 *
 * @example
 * ```ts
 * const learner = new Learner({ mode: "adagrad" });
 * const batch = learner.learn(events);          // events: WireEvent[], already validated
 * batch.scores.subarray(0, batch.length);       // each event's pre-learning score
 * learner.snapshot().rolling.logLoss;           // prequential metrics
 * const state = JSON.stringify(learner.toJSON()); // into the checkpoint
 * const again = Learner.fromJSON(JSON.parse(state));
 * ```
 *
 * @module
 */

import type { WireEvent } from "../events/wire.ts";
import { BatchLearner, type BatchLearnerOptions, type BatchLearnerState } from "./batch_learner.ts";
import type { DriftDetector, OnDrift } from "./drift.ts";
import { FeatureBatch } from "./feature_batch.ts";
import { type FeatureSet, modelShape } from "./feature_set.ts";
import { DEFAULT_FEATURE_SET, describeFeatureSet, featureSetById } from "./feature_sets.ts";
import { Featurizer } from "./features.ts";
import type { MetricsSnapshot, MetricsSummary, PrequentialMetrics } from "./metrics.ts";
import type { LogisticModel } from "./model.ts";
import { SessionStore, type SessionStoreOptions, type SessionStoreState } from "./session_store.ts";
import { hashUrl, urlBucket, urlSign } from "./url_hash.ts";

/** Options of {@linkcode Learner}. */
export interface LearnerOptions extends Omit<BatchLearnerOptions, "featureNames"> {
  /** The features (see `feature_sets.ts`). Default `DEFAULT_FEATURE_SET`. */
  featureSet?: FeatureSet;
  /** Session store bounds (see {@linkcode SessionStoreOptions} for defaults). */
  store?: SessionStoreOptions;
  /** Initial batch capacity in events (grows on demand). Default `10000`. */
  batchCapacity?: number;
}

/** The plain JSON-able state of a {@linkcode Learner}: the session store and the learn side's. */
export interface LearnerState extends Omit<BatchLearnerState, "version"> {
  /** The state's format version. */
  version: 1;
  /** The feature set's id; absent: 1 (`position`, the only set before feature sets). */
  featureSet?: number;
  /** The session store (`SessionStore.toJSON`). */
  sessions: SessionStoreState;
}

/** Options of {@linkcode Learner.learn}. */
export interface LearnOptions {
  /** True purchase probabilities of the events, when known (the generator). Default: unknown. */
  truth?: ArrayLike<number>;
}

/** Featurizer + model + metrics. */
export class Learner {
  #featurizer: Featurizer;
  #core: BatchLearner;
  #batch: FeatureBatch;

  /**
   * Creates a learner with an empty session store and a fresh model.
   *
   * @param options see {@linkcode LearnerOptions}
   */
  constructor(options: LearnerOptions = {}) {
    const set = options.featureSet ?? DEFAULT_FEATURE_SET;
    this.#featurizer = new Featurizer({ ...options.store, featureSet: set });
    this.#core = new BatchLearner({ ...options, ...modelShape(set), featureNames: set.names });
    this.#batch = new FeatureBatch(set.width, {
      capacity: options.batchCapacity,
      sparseWidth: set.urlBuckets ?? 0,
    });
  }

  /** The feature set. */
  get featureSet(): FeatureSet {
    return this.#featurizer.featureSet;
  }

  /** The drift detector (live), or `null` when detection is off. */
  get drift(): DriftDetector | null {
    return this.#core.drift;
  }

  /** What the model does on a drift. */
  get onDrift(): OnDrift {
    return this.#core.onDrift;
  }

  /**
   * Indices, within the last batch given to {@linkcode Learner.learn}, of the events at which a
   * drift was detected (usually empty). Event `i` of the batch is the `(eventsBefore + i + 1)`-th.
   */
  get lastDrifts(): readonly number[] {
    return this.#core.lastDrifts;
  }

  /** The model (live; use `model.clone()` for a frozen copy). */
  get model(): LogisticModel {
    return this.#core.model;
  }

  /** The featurizer and its session store (live). */
  get featurizer(): Featurizer {
    return this.#featurizer;
  }

  /** The prequential metrics (live). */
  get metrics(): PrequentialMetrics {
    return this.#core.metrics;
  }

  /** The metrics of the last batch alone, or `null` before the first. */
  get lastBatch(): MetricsSummary | null {
    return this.#core.lastBatch;
  }

  /**
   * Featurizes, scores, learns from and measures `events`, in order. Returns the batch, whose
   * `scores` are the pre-learning predictions (valid until the next call).
   *
   * @throws {RangeError} if `options.truth` has a different length than `events`.
   */
  learn(events: readonly WireEvent[], options: LearnOptions = {}): FeatureBatch {
    const truth = options.truth;
    if (truth !== undefined && truth.length !== events.length) {
      throw new RangeError(
        `Cannot learn from ${events.length} events with ${truth.length} true probabilities.`,
      );
    }
    const batch = this.#batch, f = this.#featurizer;
    batch.clear();
    for (let i = 0; i < events.length; i++) {
      f.push(events[i], batch);
      if (truth !== undefined) batch.truth[i] = truth[i];
    }
    this.#core.learn(batch);
    return batch;
  }

  /** Cumulative and rolling metrics. */
  snapshot(): MetricsSnapshot {
    return this.#core.snapshot();
  }

  /** The plain JSON-able state for the checkpoint. */
  toJSON(): LearnerState {
    const { version: _, ...core } = this.#core.toJSON();
    return {
      version: 1,
      featureSet: this.featureSet.id,
      sessions: this.#featurizer.toJSON(),
      ...core,
    };
  }

  /**
   * Restores a learner from {@linkcode Learner.toJSON}'s output (see
   * {@linkcode BatchLearner.fromJSON} for how the drift options apply). With
   * `options.featureSet`, the state must be of that set; without, of any set this version knows.
   *
   * @throws {TypeError} if the state is not a learner state (of that feature set)
   */
  static fromJSON(
    state: LearnerState,
    options: Pick<
      LearnerOptions,
      "batchCapacity" | "onDrift" | "boostFactor" | "drift" | "featureSet"
    > = {},
  ): Learner {
    if (state === null || typeof state !== "object" || state.version !== 1) {
      throw new TypeError("Cannot restore a Learner: the state is not a version-1 learner state.");
    }
    const { sessions, featureSet: id = 1, ...core } = state;
    const set = featureSetById(id);
    if (set === undefined || (options.featureSet !== undefined && options.featureSet !== set)) {
      throw new TypeError(
        `Cannot restore a Learner: the state is of feature set ${describeFeatureSet(id)}${
          options.featureSet === undefined
            ? ""
            : `, not ${describeFeatureSet(options.featureSet.id)}`
        }.`,
      );
    }
    const l = new Learner({ featureSet: set, batchCapacity: options.batchCapacity, drift: false });
    l.#core = BatchLearner.fromJSON(core, { ...options, featureNames: set.names });
    l.#featurizer = new Featurizer({
      featureSet: set,
      store: SessionStore.fromJSON(sessions, set.layout),
    });
    return l;
  }
}

/**
 * Scores one session's events in order with `model`, a model of feature set `featureSet`, each
 * from the events before it in the list only (a fresh session state; the model is not changed).
 * For `/predict`.
 *
 * @throws {RangeError} if the model's features are not the set's
 */
export function scoreSession(
  model: LogisticModel,
  events: readonly WireEvent[],
  featureSet: FeatureSet,
): number[] {
  const buckets = featureSet.urlBuckets ?? 0;
  if (
    model.featureNames.join() !== featureSet.names.join() || model.sparseWidth !== buckets
  ) {
    throw new RangeError(
      `Cannot score a session with a model of ${model.width} features and ${model.sparseWidth} sparse (${
        model.featureNames.slice(0, 3).join(", ")
      }, …) with feature set "${featureSet.name}" (${featureSet.width} features, ${buckets} url buckets).`,
    );
  }
  const f = new Featurizer({ featureSet, maxSessions: Math.max(1, events.length) });
  const row = new Float64Array(featureSet.width);
  const out: number[] = [];
  const index = new Uint32Array(buckets > 0 ? 1 : 0), value = new Float64Array(index.length);
  for (const e of events) {
    f.featurize(e, row);
    if (buckets > 0) {
      const h = hashUrl(e.url);
      index[0] = urlBucket(h, buckets);
      value[0] = urlSign(h);
    }
    out.push(model.predict(row, index, value));
    f.observe(e);
  }
  return out;
}
