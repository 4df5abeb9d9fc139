/**
 * The immutable view of the trainer that the HTTP server serves. The trainer builds a new
 * {@linkcode Snapshot} after every batch and swaps it in; readers never see the live state and
 * never block a batch. Everything here is plain data, except `predict`, which scores with a frozen
 * copy of the model taken when the snapshot was built.
 *
 * @module
 */

import type { WireEvent } from "../events/wire.ts";
import type { FeatureLogLag } from "./feature_log_lag.ts";
import type { SourceView } from "./learn_stage.ts";
import type { MultiClassSnapshot } from "../learn/multiclass_metrics.ts";
import type { SparseWeight } from "../learn/model.ts";

/** Hashed url buckets a snapshot and each history point carry: the largest by |weight|. */
export const TOP_BUCKETS = 20;

/** Prequential figures over a set of events (all scored before the model learned from them). */
export interface MetricsView {
  /** Events scored. */
  events: number;
  /** Mean log loss of the model's scores (natural log). */
  logLoss: number;
  /** Log loss of always predicting the events' own purchase rate (in hindsight). */
  constantLogLoss: number;
  /** Best possible log loss when the true probabilities are known (generator), else `null`. */
  bayesLogLoss: number | null;
  /** ROC AUC of the scores (`NaN` until both classes were seen). */
  auc: number;
  /** Accuracy of thresholding the scores at 0.5. */
  accuracy: number;
  /** Accuracy of always predicting the majority class of these events. */
  majorityAccuracy: number;
  /** Share of purchases among these events. */
  purchaseRate: number;
}

/** One user's purchases, as the original's `aggregate_purchases`. */
export interface PurchaserView {
  /** The user's id. */
  userId: number;
  /** Purchases by the user. */
  purchases: number;
  /** Sum of their purchase amounts. */
  amount: number;
}

/** One point of the per-batch history the dashboard charts. */
export interface HistoryPoint {
  /** The id of the batch just completed. */
  batchId: number;
  /** Publication time, ms since the epoch. */
  time: number;
  /** Events learnt up to it. */
  eventsTrained: number;
  /** Weights by feature, on the standardized features (as `Snapshot.weights`). */
  weights: readonly number[];
  /** Intercept on standardized features. */
  intercept: number;
  /**
   * The {@linkcode TOP_BUCKETS} hashed url buckets largest by |weight| (none for a set without),
   * never the whole sparse part. Default: absent (none).
   */
  topBuckets?: readonly SparseWeight[];
  /** Rolling window's mean log loss (`NaN` before any event). */
  rollingLogLoss: number;
  /** Rolling window's constant-predictor log loss (`NaN` before any event). */
  rollingConstantLogLoss: number;
  /** Rolling window's Bayes log loss, `null` unless the true probabilities are known. */
  rollingBayesLogLoss: number | null;
  /** Rolling window's ROC AUC (`NaN` until both classes were seen). */
  rollingAuc: number;
  /** Throughput of the batch, events/s of processing time (as `Snapshot.eventsPerSecond`). */
  eventsPerSecond: number;
  /** Consumer lag summed over partitions, in records (`NaN` when unknown). */
  lag: number;
  /** Bad records so far, all reasons summed. */
  badRecords: number;
}

/** A drift the detector reported. */
export interface DriftMarker {
  /** The id of the batch in which it was detected. */
  batchId: number;
  /** Events learnt when it was detected (the drifting event counted). */
  eventsTrained: number;
  /** When it was detected, ms since the epoch. */
  time: number;
  /** The detector's name, e.g. `page-hinkley`. */
  detector: string;
}

/** The drift detector's state, as served (see `src/learn/drift.ts`). */
export interface DriftStatus {
  /** The detector's name, e.g. `page-hinkley`. */
  detector: string;
  /** Drifts detected since the start (unbounded, unlike `Snapshot.drifts`). */
  total: number;
  /** The detector's test statistic now; a drift fires above `threshold`. */
  statistic: number;
  /** The statistic's alarm threshold. */
  threshold: number;
  /** What the model does on a drift: `none`, `boost` or `reset`. */
  onDrift: string;
}

/** The next-action model of `--target action` as served: weights, metrics, scoring. */
export interface ActionSnapshot {
  /** The classes, in order (`ACTIONS`). */
  readonly classes: readonly string[];
  /** Per class, the weights by feature (standardized features), in `featureNames` order. */
  readonly weights: readonly (readonly number[])[];
  /** Per class, the intercept. */
  readonly intercepts: readonly number[];
  /** The prequential multi-class metrics. */
  readonly metrics: MultiClassSnapshot;
  /**
   * Scores a session's events in order, each given only those before it, with the model as it
   * was at publication: one probability per class per event.
   */
  predict(events: readonly WireEvent[]): number[][];
}

/** The session stores' counts, summed over the input partitions (see `SessionStore`). */
export interface SessionCounts {
  /** Sessions live now (each costs 125–175 bytes in a store, by feature set). */
  live: number;
  /** Sessions expired by event-time idleness so far (`--session-idle`). */
  expired: number;
  /** Sessions evicted by the cap so far (`--max-sessions`). */
  evicted: number;
}

/** The trainer's state as served over HTTP; immutable once published. */
export interface Snapshot {
  /** Learning mode: `seed`, `adagrad` or `ftrl`. */
  readonly mode: string;
  /** Topic trained on. */
  readonly topic: string;
  /** The feature set's name (`--features`, see `feature_sets.ts`), e.g. `fields`. */
  readonly featureSet: string;
  /** Feature names, in the order of `weights`. */
  readonly featureNames: readonly string[];
  /** Weights by feature, on the standardized features the model learns on. */
  readonly weights: readonly number[];
  /** Intercept on standardized features; `sigmoid(intercept)` is the baseline probability. */
  readonly intercept: number;
  /** The same model on the raw (unstandardized) features. */
  readonly rawWeights: readonly number[];
  /** The raw-feature intercept. */
  readonly rawIntercept: number;
  /**
   * The {@linkcode TOP_BUCKETS} hashed url buckets largest by |weight| (never standardized, so
   * raw and standardized alike); empty or absent for a set without.
   */
  readonly topBuckets?: readonly SparseWeight[];
  /** Model updates so far (the original's `model update #N`). */
  readonly updates: number;
  /** Valid events the model has learned from. */
  readonly eventsTrained: number;
  /** Batches processed. */
  readonly batches: number;
  /** Id of the last batch (`-1` before the first). */
  readonly batchId: number;
  /** When this snapshot was published, ms since the epoch. */
  readonly time: number;
  /** Figures over every event so far. */
  readonly cumulative: MetricsView;
  /** Figures over the most recent events (a window of 100k). */
  readonly rolling: MetricsView;
  /** Figures over the last batch alone. */
  readonly lastBatch: MetricsView;
  /** Consumer lag summed over partitions, in records (`NaN` when unknown). */
  readonly lag: number;
  /** Throughput of the last batch, events/s of processing time. */
  readonly eventsPerSecond: number;
  /** Bad records by reason (see `EventErrorReason`). */
  readonly badRecords: Readonly<Record<string, number>>;
  /** Records skipped because the checkpoint already covered them. */
  readonly skippedRecords: number;
  /** `false` while cut off from the broker. */
  readonly healthy: boolean;
  /** Why the trainer is unhealthy, or `null`. */
  readonly healthReason: string | null;
  /** The newest checkpoint, or `null` before the first. */
  readonly checkpoint: { batchId: number; time: number } | null;
  /** Top purchasers by amount (at most 1000). */
  readonly topPurchasers: readonly PurchaserView[];
  /** Per-batch history for the charts (bounded). */
  readonly history: readonly HistoryPoint[];
  /** Drifts detected so far (bounded). */
  readonly drifts: readonly DriftMarker[];
  /** The drift detector's state; absent or `null` when detection is off. */
  readonly drift?: DriftStatus | null;
  /** The session stores' counts (`train`); absent or `null` without session stores (`learn`). */
  readonly sessions?: SessionCounts | null;
  /** Per input partition: events learnt and the next offset covered. Default: absent. */
  readonly sources?: readonly SourceView[];
  /**
   * The model's version when it is read from a feature log (`learn`): the log offset it has
   * consumed up to. Absent or `null` otherwise (`train`).
   */
  readonly modelVersion?: number | null;
  /**
   * The featurizers' lag as it reaches the model (`learn`): per input partition its end offset
   * against the next offset learnt, and the feature log's end against the model version. Absent
   * otherwise (`train`).
   */
  readonly featureLog?: FeatureLogLag;
  /** The next-action model (`--target action`); absent for the purchase target alone. */
  readonly action?: ActionSnapshot;
  /**
   * Scores a session's events in order, each given only those before it, with the model as it
   * was at publication. Returns one purchase probability per event.
   */
  predict(events: readonly WireEvent[]): number[];
}
