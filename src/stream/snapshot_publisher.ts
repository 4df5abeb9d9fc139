/**
 * The snapshot publisher: builds the immutable {@linkcode Snapshot} that HTTP serves from the
 * learn stage's state, and keeps the chart history. What is costly — the frozen model copy that
 * `/predict` scores with, the coefficients, the metrics summary (AUC over its bins), the top
 * purchasers and the drift markers — is computed once per change of the learn stage (its `version`) and reused until
 * the next: a batch that learnt nothing (an empty interval, a batch of skipped records, an admin
 * checkpoint) publishes a snapshot re-stamped with the time, health, lag and counters of now,
 * and nothing new besides.
 *
 * @module
 */

import { scoreSession } from "../learn/learner.ts";
import { scoreSessionActions } from "../learn/action_learner.ts";
import type { MetricsSnapshot, MetricsSummary } from "../learn/metrics.ts";
import type { Coefficients, SparseWeight } from "../learn/model.ts";
import { ACTIONS, type WireEvent } from "../events/wire.ts";
import type { Clock } from "../util/clock.ts";
import type { BrokerView } from "./broker_watch.ts";
import { featureLogLag } from "./feature_log_lag.ts";
import type { LearnStage } from "./learn_stage.ts";
import type {
  ActionSnapshot,
  DriftMarker,
  HistoryPoint,
  MetricsView,
  PurchaserView,
  SessionCounts,
  Snapshot,
} from "./snapshot.ts";
import { TOP_BUCKETS } from "./snapshot.ts";

/** Top purchasers served. */
export const TOP_PURCHASERS = 1000;

const EMPTY_VIEW: MetricsView = {
  events: 0,
  logLoss: NaN,
  constantLogLoss: NaN,
  bayesLogLoss: null,
  auc: NaN,
  accuracy: NaN,
  majorityAccuracy: NaN,
  purchaseRate: NaN,
};

const num = (x: number | null | undefined) => x ?? NaN;

/** Maps the learner's summary (nulls) to the served view (NaN). */
export function toMetricsView(s: MetricsSummary | null): MetricsView {
  if (s === null) return EMPTY_VIEW;
  return {
    events: s.events,
    logLoss: num(s.logLoss),
    constantLogLoss: num(s.constantLogLoss),
    bayesLogLoss: s.bayesLogLoss,
    auc: num(s.auc),
    accuracy: num(s.accuracy),
    majorityAccuracy: num(s.majorityAccuracy),
    purchaseRate: num(s.purchaseRate),
  };
}

/** What a snapshot shows besides the learn stage's state. */
export interface PublishContext {
  /** The broker's health and end offsets now. */
  broker: BrokerView;
  /** The newest checkpoint, or `null`. */
  checkpoint: { batchId: number; time: number } | null;
  /** Throughput of the last batch, events/s. */
  eventsPerSecond: number;
  /** The model version, when the model is read from a feature log. Default: `null`. */
  modelVersion?: number | null;
  /**
   * The feature log's end offset (`null`: not polled yet), when the model is read from one: the
   * snapshot then has a `featureLog` lag. Default: absent, and so is the snapshot's.
   */
  featureLogEnd?: number | null;
  /** The session stores' counts, when this process keeps sessions. Default: `null`. */
  sessions?: SessionCounts | null;
}

/** Options of {@linkcode SnapshotPublisher}. */
export interface SnapshotPublisherOptions {
  /** The topic trained on. Required. */
  topic: string;
  /** The clock of publication times. Default `Date`. */
  clock?: Pick<Clock, "now">;
  /** Points of chart history kept. Default `2000`. */
  historyLimit?: number;
}

/** The parts computed once per learn-stage version. */
interface Costly {
  version: number;
  metrics: MetricsSnapshot;
  coefficients: Coefficients;
  topBuckets: readonly SparseWeight[];
  cumulative: MetricsView;
  rolling: MetricsView;
  lastBatch: MetricsView;
  topPurchasers: readonly PurchaserView[];
  drifts: readonly DriftMarker[];
  predict: (events: readonly WireEvent[]) => number[];
  action: ActionSnapshot | undefined;
}

/** See the module documentation. */
export class SnapshotPublisher {
  #topic: string;
  #clock: Pick<Clock, "now">;
  #limit: number;
  #history: HistoryPoint[] = [];
  #frozenHistory: readonly HistoryPoint[] = Object.freeze([]);
  #costly: Costly | null = null;
  #snapshot: Snapshot | null = null;

  /**
   * Creates a publisher that has published nothing yet.
   *
   * @param options see {@linkcode SnapshotPublisherOptions}
   */
  constructor(options: SnapshotPublisherOptions) {
    this.#topic = options.topic;
    this.#clock = options.clock ?? Date;
    this.#limit = options.historyLimit ?? 2000;
  }

  /** The latest published snapshot. @throws {Error} before the first {@linkcode publish} */
  get snapshot(): Snapshot {
    if (this.#snapshot === null) throw new Error("No snapshot was published yet.");
    return this.#snapshot;
  }

  /**
   * Publishes a snapshot of `stage` now. With `historyPoint`, a point of the batch just
   * completed is added to the chart history first.
   */
  publish(stage: LearnStage, context: PublishContext, historyPoint = false): Snapshot {
    const costly = this.#costlyParts(stage);
    const lag = stage.ledger.lag(context.broker.highWatermarks);
    const bad = stage.badRecords;
    if (historyPoint) {
      const c = costly.coefficients;
      const rolling = costly.metrics.rolling;
      this.#history.push({
        batchId: stage.batchId,
        time: this.#clock.now(),
        eventsTrained: stage.eventsTrained,
        weights: c.weights,
        intercept: c.intercept,
        topBuckets: costly.topBuckets,
        rollingLogLoss: num(rolling.logLoss),
        rollingConstantLogLoss: num(rolling.constantLogLoss),
        rollingBayesLogLoss: rolling.bayesLogLoss,
        rollingAuc: num(rolling.auc),
        eventsPerSecond: context.eventsPerSecond,
        lag,
        badRecords: Object.values(bad).reduce((a, b) => a + b, 0),
      });
      if (this.#history.length > this.#limit) {
        this.#history.splice(0, this.#history.length - this.#limit);
      }
      this.#frozenHistory = Object.freeze([...this.#history]);
    }
    const learner = stage.learner;
    const model = learner.model;
    const c = costly.coefficients;
    this.#snapshot = Object.freeze({
      mode: model.mode,
      topic: this.#topic,
      featureSet: stage.featureSet.name,
      featureNames: Object.freeze([...c.names]),
      weights: Object.freeze(c.weights),
      intercept: c.intercept,
      rawWeights: Object.freeze(c.rawWeights),
      rawIntercept: c.rawIntercept,
      topBuckets: costly.topBuckets,
      updates: model.updates,
      eventsTrained: stage.eventsTrained,
      batches: stage.batches,
      batchId: stage.batchId,
      time: this.#clock.now(),
      cumulative: costly.cumulative,
      rolling: costly.rolling,
      lastBatch: costly.lastBatch,
      lag,
      eventsPerSecond: context.eventsPerSecond,
      badRecords: Object.freeze({ ...bad }),
      skippedRecords: stage.skippedRecords,
      healthy: context.broker.healthy,
      healthReason: context.broker.reason,
      checkpoint: context.checkpoint,
      topPurchasers: costly.topPurchasers,
      history: this.#frozenHistory,
      drifts: costly.drifts,
      drift: learner.drift === null ? null : {
        detector: learner.drift.name,
        total: learner.drift.drifts,
        statistic: learner.drift.statistic,
        threshold: learner.drift.config.threshold,
        onDrift: learner.onDrift,
      },
      predict: costly.predict,
      sources: Object.freeze(stage.sources.map((s) => Object.freeze(s))),
      modelVersion: context.modelVersion ?? null,
      ...(context.featureLogEnd === undefined ? {} : {
        featureLog: featureLogLag(
          (partition) => stage.ledger.next(partition),
          context.broker.highWatermarks,
          context.featureLogEnd,
          context.modelVersion ?? 0,
        ),
      }),
      sessions: context.sessions ?? null,
      ...(costly.action === undefined ? {} : { action: costly.action }),
    });
    return this.#snapshot;
  }

  /** Forgets the chart history (an admin reset). */
  reset(): void {
    this.#history = [];
    this.#frozenHistory = Object.freeze([]);
  }

  #costlyParts(stage: LearnStage): Costly {
    const cached = this.#costly;
    if (cached !== null && cached.version === stage.version) return cached;
    const learner = stage.learner;
    const metrics = learner.snapshot();
    const frozen = learner.model.clone();
    const set = stage.featureSet;
    this.#costly = {
      version: stage.version,
      metrics,
      coefficients: learner.model.coefficients(),
      topBuckets: Object.freeze(learner.model.topSparse(TOP_BUCKETS).map((b) => Object.freeze(b))),
      cumulative: toMetricsView(metrics.cumulative.events > 0 ? metrics.cumulative : null),
      rolling: toMetricsView(metrics.rolling.events > 0 ? metrics.rolling : null),
      lastBatch: toMetricsView(learner.lastBatch),
      topPurchasers: Object.freeze(stage.purchases.top(TOP_PURCHASERS)),
      drifts: Object.freeze([...stage.drifts]),
      predict: (events) => scoreSession(frozen, events, set),
      action: actionSnapshot(stage),
    };
    return this.#costly;
  }
}

function actionSnapshot(stage: LearnStage): ActionSnapshot | undefined {
  const core = stage.action;
  if (core === null) return undefined;
  const frozen = core.model.clone(), set = stage.featureSet;
  const d = frozen.width, w = frozen.weights;
  const weights: (readonly number[])[] = [], intercepts: number[] = [];
  for (let c = 0; c < frozen.classes; c++) {
    weights.push(Object.freeze(Array.from(w.subarray(c * (d + 1), c * (d + 1) + d))));
    intercepts.push(w[c * (d + 1) + d]);
  }
  return Object.freeze({
    classes: Object.freeze([...ACTIONS]),
    weights: Object.freeze(weights),
    intercepts: Object.freeze(intercepts),
    metrics: core.metrics.snapshot(),
    predict: (events: readonly WireEvent[]) => scoreSessionActions(frozen, events, set),
  });
}
