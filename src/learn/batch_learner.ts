/**
 * The learn side of the pipeline: standardizer + model → prequential metrics → drift, over
 * micro-batches of feature rows already computed (a {@linkcode FeatureBatch}). Per batch, in
 * order: each row is scored by the model as it was before learning from it, then learnt, then
 * measured; the drift detector reads each row's log loss. It never sees an event or a session:
 * the featurize side (`features.ts`, one session store per input partition in the trainer)
 * writes the rows. One plain JSON-able state (model, metrics, detector) for the checkpoint;
 * restoring it and continuing equals never stopping.
 *
 * @example
 * ```ts
 * const learner = new BatchLearner({ mode: "adagrad" });
 * learner.learn(batch);                  // batch: FeatureBatch of rows and labels
 * batch.scores.subarray(0, batch.length); // each row's pre-learning score
 * learner.snapshot().rolling.logLoss;    // prequential metrics
 * ```
 *
 * @module
 */

import {
  DriftDetector,
  type DriftDetectorOptions,
  type DriftDetectorState,
  ON_DRIFT,
  type OnDrift,
} from "./drift.ts";
import type { FeatureBatch } from "./feature_batch.ts";
import { DEFAULT_FEATURE_SET } from "./feature_sets.ts";
import {
  type MetricsOptions,
  type MetricsSnapshot,
  type MetricsState,
  type MetricsSummary,
  PrequentialMetrics,
} from "./metrics.ts";
import { LogisticModel, type ModelOptions, type ModelState } from "./model.ts";

/** Options of {@linkcode BatchLearner}. */
export interface BatchLearnerOptions extends ModelOptions {
  /**
   * The names of the rows' features, in order (a feature set's `names`). Default: those of
   * `DEFAULT_FEATURE_SET` (see `feature_sets.ts`).
   */
  featureNames?: readonly string[];
  /** Metrics options (see {@linkcode MetricsOptions}). */
  metrics?: MetricsOptions;
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

/** The plain JSON-able state of a {@linkcode BatchLearner}: everything the checkpoint must hold. */
export interface BatchLearnerState {
  /** The state's format version. */
  version: 1;
  /** The logistic model. */
  model: ModelState;
  /** Its prequential metrics. */
  metrics: MetricsState;
  /** The drift detector's state; absent when detection is off (and in older checkpoints). */
  drift?: DriftDetectorState;
  /** The reaction to a drift. Absent means `"none"`. */
  onDrift?: OnDrift;
  /** The factor of a boost. Absent means `0`. */
  boostFactor?: number;
}

/** Model + metrics + drift detector over feature rows. */
export class BatchLearner {
  #model: LogisticModel;
  #metrics: PrequentialMetrics;
  #last: MetricsSummary | null = null;
  #drift: DriftDetector | null;
  #onDrift: OnDrift;
  #boostFactor: number;
  #lastDrifts: number[] = [];
  #losses = new Float64Array(0); // each row's log loss, from the model to the metrics

  /**
   * Creates a fresh model with empty metrics.
   *
   * @param options see {@linkcode BatchLearnerOptions}
   */
  constructor(options: BatchLearnerOptions = {}) {
    this.#model = new LogisticModel(options.featureNames ?? DEFAULT_FEATURE_SET.names, options);
    this.#metrics = new PrequentialMetrics(options.metrics);
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
   * Indices, within the last batch given to {@linkcode BatchLearner.learn}, of the rows at which
   * a drift was detected (usually empty). Row `i` of the batch is the `(rowsBefore + i + 1)`-th.
   */
  get lastDrifts(): readonly number[] {
    return this.#lastDrifts;
  }

  /** The model (live; use `model.clone()` for a frozen copy). */
  get model(): LogisticModel {
    return this.#model;
  }

  /** The prequential metrics (live). */
  get metrics(): PrequentialMetrics {
    return this.#metrics;
  }

  /** The metrics of the last non-empty batch alone, or `null` before the first. */
  get lastBatch(): MetricsSummary | null {
    return this.#last;
  }

  /**
   * Scores, learns from and measures the rows of `batch`, in order; each row's pre-learning
   * score is written into `batch.scores`.
   *
   * @throws {RangeError} if the batch's width is not the model's
   */
  learn(batch: FeatureBatch): void {
    if (this.#losses.length < batch.length) this.#losses = new Float64Array(batch.capacity);
    this.#lastDrifts = this.#model.processBatch(batch, {
      drift: this.#drift ?? undefined,
      onDrift: this.#onDrift,
      boostFactor: this.#boostFactor,
      losses: this.#losses,
    });
    this.#last = this.#metrics.addBatchSummary(batch, this.#losses) ?? this.#last;
  }

  /** Cumulative and rolling metrics. */
  snapshot(): MetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /** The plain JSON-able state for the checkpoint. */
  toJSON(): BatchLearnerState {
    return {
      version: 1,
      model: this.#model.toJSON(),
      metrics: this.#metrics.toJSON(),
      ...(this.#drift === null ? {} : { drift: this.#drift.toJSON() }),
      onDrift: this.#onDrift,
      boostFactor: this.#boostFactor,
    };
  }

  /**
   * Restores a learner from {@linkcode BatchLearner.toJSON}'s output. The reaction to a drift
   * comes from `options.onDrift` / `options.boostFactor` when given (a restart may change
   * `--on-drift`), else from the state. The detector comes from the state; a state without one
   * (detection was off, or an older checkpoint) gets a fresh detector when `options.drift` is an
   * options object, none otherwise.
   *
   * With `options.featureNames`, the state's model must be of exactly those features.
   *
   * @throws {TypeError} if the state is not a learner state (of those features)
   */
  static fromJSON(
    state: BatchLearnerState,
    options: Pick<BatchLearnerOptions, "onDrift" | "boostFactor" | "drift" | "featureNames"> = {},
  ): BatchLearner {
    if (state === null || typeof state !== "object" || state.version !== 1) {
      throw new TypeError("Cannot restore a Learner: the state is not a version-1 learner state.");
    }
    const names = state.model?.featureNames;
    const want = options.featureNames;
    if (!Array.isArray(names) || (want !== undefined && names.join() !== want.join())) {
      throw new TypeError(
        `Cannot restore a Learner: the model's features ${JSON.stringify(names)} are not ${
          JSON.stringify(want)
        }.`,
      );
    }
    const l = new BatchLearner({
      featureNames: names,
      drift: false,
      onDrift: options.onDrift ?? state.onDrift ?? "none",
      boostFactor: options.boostFactor ?? state.boostFactor ?? 0,
    });
    l.#drift = state.drift !== undefined
      ? DriftDetector.fromJSON(state.drift)
      : options.drift
      ? new DriftDetector(options.drift)
      : null;
    l.#model = LogisticModel.fromJSON(state.model);
    l.#metrics = PrequentialMetrics.fromJSON(state.metrics);
    return l;
  }
}
