/**
 * The learner pipeline in one object, for the trainer: session features → model → prequential
 * metrics, over micro-batches of already-validated {@linkcode WireEvent}s. Per batch, in order:
 * each event is featurized from what was known before it and recorded in the session state
 * (which never sees actions), then scored by the model as it was before learning from it, then
 * learnt, then measured. One plain JSON-able state (session store, model, metrics) for the
 * checkpoint; restoring it and continuing equals never stopping.
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
import {
  DriftDetector,
  type DriftDetectorOptions,
  type DriftDetectorState,
  ON_DRIFT,
  type OnDrift,
} from "./drift.ts";
import { FeatureBatch } from "./feature_batch.ts";
import { FEATURE_COUNT, FEATURE_NAMES, Featurizer } from "./features.ts";
import {
  type MetricsOptions,
  type MetricsSnapshot,
  type MetricsState,
  type MetricsSummary,
  PrequentialMetrics,
  summarizeBatch,
} from "./metrics.ts";
import { LogisticModel, type ModelOptions, type ModelState } from "./model.ts";
import { SessionStore, type SessionStoreOptions, type SessionStoreState } from "./session_store.ts";

/** Options of {@linkcode Learner}. */
export interface LearnerOptions extends ModelOptions {
  /** Session store bounds (see {@linkcode SessionStoreOptions} for defaults). */
  store?: SessionStoreOptions;
  /** Metrics options (see {@linkcode MetricsOptions}). */
  metrics?: MetricsOptions;
  /** Initial batch capacity in events (grows on demand). Default `10000`. */
  batchCapacity?: number;
  /**
   * Drift detection over the prequential log loss (see {@linkcode DriftDetectorOptions} for the
   * defaults), or `false` for none. Default: on, with the detector's defaults, in the per-event
   * modes (`adagrad`, `ftrl`); off in `seed` mode, whose per-batch model's loss swings far more
   * than the detector's defaults allow (`bench/drift.ts --mode seed`: over a hundred alarms per
   * million events without any drift).
   */
  drift?: DriftDetectorOptions | false;
  /** What the model does on a drift (see `LogisticModel.adapt`). Default `"none"`. */
  onDrift?: OnDrift;
  /** The factor of `onDrift: "boost"` (see `LogisticModel.adapt`). Default `0`. */
  boostFactor?: number;
}

/** The plain JSON-able state of a {@linkcode Learner}: everything the checkpoint must hold. */
export interface LearnerState {
  version: 1;
  sessions: SessionStoreState;
  model: ModelState;
  metrics: MetricsState;
  /** The drift detector's state; absent when detection is off (and in older checkpoints). */
  drift?: DriftDetectorState;
  /** The reaction to a drift. Absent means `"none"`. */
  onDrift?: OnDrift;
  /** The factor of a boost. Absent means `0`. */
  boostFactor?: number;
}

/** Options of {@linkcode Learner.learn}. */
export interface LearnOptions {
  /** True purchase probabilities of the events, when known (the generator). Default: unknown. */
  truth?: ArrayLike<number>;
}

/** Featurizer + model + metrics. */
export class Learner {
  #featurizer: Featurizer;
  #model: LogisticModel;
  #metrics: PrequentialMetrics;
  #batch: FeatureBatch;
  #last: MetricsSummary | null = null;
  #drift: DriftDetector | null;
  #onDrift: OnDrift;
  #boostFactor: number;
  #lastDrifts: number[] = [];

  /** @param options see {@linkcode LearnerOptions} */
  constructor(options: LearnerOptions = {}) {
    this.#featurizer = new Featurizer(options.store);
    this.#model = new LogisticModel(FEATURE_NAMES, options);
    this.#metrics = new PrequentialMetrics(options.metrics);
    this.#batch = new FeatureBatch(FEATURE_COUNT, { capacity: options.batchCapacity });
    const drift = options.drift ?? (this.#model.mode === "seed" ? false : {});
    this.#drift = drift === false ? null : new DriftDetector(drift);
    this.#onDrift = options.onDrift ?? "none";
    if (!ON_DRIFT.includes(this.#onDrift)) {
      throw new RangeError(
        `Cannot create a Learner with onDrift ${JSON.stringify(this.#onDrift)}: expected one of ${
          ON_DRIFT.join(", ")
        }.`,
      );
    }
    this.#boostFactor = options.boostFactor ?? 0;
    if (!(this.#boostFactor >= 0 && this.#boostFactor <= 1)) {
      throw new RangeError(
        `Cannot create a Learner with boostFactor ${this.#boostFactor}: expected 0..1.`,
      );
    }
  }

  /** The drift detector (live), or `null` when detection is off. */
  get drift(): DriftDetector | null {
    return this.#drift;
  }

  /** What the model does on a drift. */
  get onDrift(): OnDrift {
    return this.#onDrift;
  }

  /**
   * Indices, within the last batch given to {@linkcode Learner.learn}, of the events at which a
   * drift was detected (usually empty). Event `i` of the batch is the `(eventsBefore + i + 1)`-th.
   */
  get lastDrifts(): readonly number[] {
    return this.#lastDrifts;
  }

  /** The model (live; use `model.clone()` for a frozen copy). */
  get model(): LogisticModel {
    return this.#model;
  }

  /** The featurizer and its session store (live). */
  get featurizer(): Featurizer {
    return this.#featurizer;
  }

  /** The prequential metrics (live). */
  get metrics(): PrequentialMetrics {
    return this.#metrics;
  }

  /** The metrics of the last batch alone, or `null` before the first. */
  get lastBatch(): MetricsSummary | null {
    return this.#last;
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
    this.#lastDrifts = this.#model.processBatch(batch, {
      drift: this.#drift ?? undefined,
      onDrift: this.#onDrift,
      boostFactor: this.#boostFactor,
    });
    this.#metrics.addBatch(batch);
    this.#last = batch.length > 0 ? summarizeBatch(batch) : this.#last;
    return batch;
  }

  /** Cumulative and rolling metrics. */
  snapshot(): MetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /** The plain JSON-able state for the checkpoint. */
  toJSON(): LearnerState {
    return {
      version: 1,
      sessions: this.#featurizer.toJSON(),
      model: this.#model.toJSON(),
      metrics: this.#metrics.toJSON(),
      ...(this.#drift === null ? {} : { drift: this.#drift.toJSON() }),
      onDrift: this.#onDrift,
      boostFactor: this.#boostFactor,
    };
  }

  /**
   * Restores a learner from {@linkcode Learner.toJSON}'s output. The reaction to a drift comes
   * from `options.onDrift` / `options.boostFactor` when given (a restart may change
   * `--on-drift`), else from the state. The detector comes from the state; a state without one
   * (detection was off, or an older checkpoint) gets a fresh detector when `options.drift` is an
   * options object, none otherwise.
   */
  static fromJSON(
    state: LearnerState,
    options: Pick<LearnerOptions, "batchCapacity" | "onDrift" | "boostFactor" | "drift"> = {},
  ): Learner {
    if (state === null || typeof state !== "object" || state.version !== 1) {
      throw new TypeError("Cannot restore a Learner: the state is not a version-1 learner state.");
    }
    const names = state.model?.featureNames;
    if (!Array.isArray(names) || names.join() !== FEATURE_NAMES.join()) {
      throw new TypeError(
        `Cannot restore a Learner: the model's features ${
          JSON.stringify(names)
        } are not this version's ${JSON.stringify(FEATURE_NAMES)}.`,
      );
    }
    const l = new Learner({
      batchCapacity: options.batchCapacity,
      drift: false,
      onDrift: options.onDrift ?? state.onDrift ?? "none",
      boostFactor: options.boostFactor ?? state.boostFactor ?? 0,
    });
    l.#drift = state.drift !== undefined
      ? DriftDetector.fromJSON(state.drift)
      : options.drift
      ? new DriftDetector(options.drift)
      : null;
    l.#featurizer = new Featurizer({ store: SessionStore.fromJSON(state.sessions) });
    l.#model = LogisticModel.fromJSON(state.model);
    l.#metrics = PrequentialMetrics.fromJSON(state.metrics);
    return l;
  }
}

/**
 * Scores one session's events in order with `model`, each from the events before it in the list
 * only (a fresh session state; the model is not changed). For `/predict`.
 */
export function scoreSession(model: LogisticModel, events: readonly WireEvent[]): number[] {
  if (model.width !== FEATURE_COUNT) {
    throw new RangeError(
      `Cannot score a session with a model of ${model.width} features: the featurizer writes ${FEATURE_COUNT}.`,
    );
  }
  const f = new Featurizer({ maxSessions: Math.max(1, events.length) });
  const row = new Float64Array(FEATURE_COUNT);
  const out: number[] = [];
  for (const e of events) {
    f.featurize(e, row);
    out.push(model.predict(row));
    f.observe(e);
  }
  return out;
}
