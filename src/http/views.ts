/**
 * The JSON views of a {@linkcode Snapshot} that the HTTP routes serve: `/weights`, `/healthz`
 * and `/purchases`. Plain functions from a snapshot (and the current time) to plain data with
 * snake_case fields; `NaN` and infinities become `null` when serialized by
 * {@linkcode jsonResponse}.
 *
 * @module
 */

import type { MetricsView, Snapshot } from "../stream/snapshot.ts";
import { sigmoid } from "../learn/logistic.ts";

/** Prequential figures of one window, as `/weights` serves them. */
export interface MetricsJson {
  /** Events the window covers. */
  events: number;
  /** Mean log loss of the model's scores (natural log), each event scored before it was learnt. */
  log_loss: number;
  /** Log loss of always predicting the events' own purchase rate (in hindsight). */
  constant_log_loss: number;
  /** Best possible log loss when the true probabilities are known (generator), else `null`. */
  bayes_log_loss: number | null;
  /** ROC AUC of the scores (`null` until both classes were seen). */
  auc: number;
  /** Accuracy of thresholding the scores at 0.5. */
  accuracy: number;
  /** Accuracy of always predicting the majority class of these events. */
  majority_accuracy: number;
  /** Share of these events that are purchases. */
  purchase_rate: number;
}

/** The body of `GET /weights`. */
export interface WeightsJson {
  /** The input topic (`train`) or feature log (`learn`). */
  topic: string;
  /** The learning mode (`--mode`). */
  mode: string;
  /** The feature set the model learns from (`--features`). */
  feature_set: string;
  /** The weights by feature name, on standardized features. */
  weights: Record<string, number>;
  /** The intercept on standardized features. */
  intercept: number;
  /** `sigmoid(intercept)`: the purchase probability of an average event. */
  baseline_probability: number;
  /** The weights by feature name on the features' own scale. */
  raw_weights: Record<string, number>;
  /** The intercept on the features' own scale. */
  raw_intercept: number;
  /** The 20 hashed url buckets largest by |weight|, `{ bucket, weight }`; empty without. */
  url_buckets: { bucket: number; weight: number }[];
  /** Model updates so far (the original's `model update #N`). */
  updates: number;
  /** Valid events the model has learned from. */
  events_trained: number;
  /** Batches processed. */
  batches: number;
  /** Id of the last batch (`-1` before the first). */
  last_batch_id: number;
  /** When the snapshot was published, ISO 8601. */
  time: string;
  /** Prequential metrics: since the start, over the rolling window, and of the last batch. */
  metrics: { cumulative: MetricsJson; rolling: MetricsJson; last_batch: MetricsJson };
  /** Consumer lag summed over partitions, in records; `null` when unknown. */
  lag: number | null;
  /** Throughput of the last batch, events/s of processing time. */
  events_per_second: number;
  /** Bad records by reason (each sent to the dead-letter topic). */
  bad_records: Record<string, number>;
  /** Records skipped because the checkpoint already covered them. */
  skipped_records: number;
  /** The last checkpoint written, its batch id and age; `null` before the first. */
  checkpoint: { batch_id: number; age_seconds: number } | null;
  /** Whether `/healthz` answers 200 (else 503, with the reason). */
  healthy: boolean;
  /** The session stores' counts: live, expired, evicted (`train` only). */
  sessions?: { live: number; expired: number; evicted: number };
  /** Per input partition: events learnt and the next offset covered (when known). */
  sources?: SourceJson[];
  /** The feature-log offset the model has consumed up to (`learn` only). */
  model_version?: number;
  /** The featurizers' lag as it reaches the model (`learn` only). */
  feature_log?: FeatureLogLagJson;
  /** The next-action model (`--target action` only). */
  action?: ActionJson;
}

/** One input partition of `GET /weights`. */
export interface SourceJson {
  /** The input partition. */
  partition: number;
  /** `null` when unknown (a state restored from a checkpoint that did not keep it). */
  events_trained: number | null;
  /** The next offset of the partition the model has covered. */
  next_offset: number;
}

/** The featurizers' lag as it reaches the model, in `GET /weights` (`learn`). */
export interface FeatureLogLagJson {
  /** The feature log's end offset (`null` until polled). */
  end_offset: number | null;
  /** Feature-log records not learnt yet: the end offset − the model version. */
  unread_records: number | null;
  /** Per input partition: its end offset, the next offset learnt, the records between. */
  sources: { partition: number; end_offset: number; next_offset: number; behind: number }[];
  /** The sources' `behind` summed (`null` until the input was polled). */
  behind: number | null;
}

/** One entry of `GET /purchases`. */
export interface PurchaserJson {
  /** The user. */
  user_id: number;
  /** Purchases counted for the user. */
  purchases: number;
  /** The purchases' amounts summed. */
  amount: number;
}

/** A snapshot's metrics window in snake_case. */
export function metricsJson(view: MetricsView): MetricsJson {
  return {
    events: view.events,
    log_loss: view.logLoss,
    constant_log_loss: view.constantLogLoss,
    bayes_log_loss: view.bayesLogLoss,
    auc: view.auc,
    accuracy: view.accuracy,
    majority_accuracy: view.majorityAccuracy,
    purchase_rate: view.purchaseRate,
  };
}

/** The `/weights` view of `snapshot` at time `now` (ms since the epoch). */
export function weightsJson(snapshot: Snapshot, now: number): WeightsJson {
  const weights: Record<string, number> = {};
  const rawWeights: Record<string, number> = {};
  snapshot.featureNames.forEach((name, i) => {
    weights[name] = snapshot.weights[i];
    rawWeights[name] = snapshot.rawWeights[i];
  });
  return {
    topic: snapshot.topic,
    mode: snapshot.mode,
    feature_set: snapshot.featureSet,
    weights,
    intercept: snapshot.intercept,
    baseline_probability: sigmoid(snapshot.intercept),
    raw_weights: rawWeights,
    raw_intercept: snapshot.rawIntercept,
    url_buckets: (snapshot.topBuckets ?? []).map((b) => ({ bucket: b.index, weight: b.weight })),
    updates: snapshot.updates,
    events_trained: snapshot.eventsTrained,
    batches: snapshot.batches,
    last_batch_id: snapshot.batchId,
    time: isoTime(snapshot.time),
    metrics: {
      cumulative: metricsJson(snapshot.cumulative),
      rolling: metricsJson(snapshot.rolling),
      last_batch: metricsJson(snapshot.lastBatch),
    },
    lag: Number.isFinite(snapshot.lag) ? snapshot.lag : null,
    events_per_second: snapshot.eventsPerSecond,
    bad_records: { ...snapshot.badRecords },
    skipped_records: snapshot.skippedRecords,
    checkpoint: snapshot.checkpoint === null ? null : {
      batch_id: snapshot.checkpoint.batchId,
      age_seconds: Math.max(0, (now - snapshot.checkpoint.time) / 1000),
    },
    healthy: snapshot.healthy,
    ...(snapshot.sessions == null ? {} : { sessions: { ...snapshot.sessions } }),
    ...(snapshot.sources === undefined ? {} : {
      sources: snapshot.sources.map((s) => ({
        partition: s.partition,
        events_trained: s.eventsTrained,
        next_offset: s.nextOffset,
      })),
    }),
    ...(snapshot.modelVersion == null ? {} : { model_version: snapshot.modelVersion }),
    ...(snapshot.featureLog === undefined ? {} : {
      feature_log: {
        end_offset: snapshot.featureLog.logEnd,
        unread_records: snapshot.featureLog.logUnread,
        sources: snapshot.featureLog.sources.map((s) => ({
          partition: s.partition,
          end_offset: s.endOffset,
          next_offset: s.nextOffset,
          behind: s.behind,
        })),
        behind: Number.isFinite(snapshot.featureLog.behind) ? snapshot.featureLog.behind : null,
      },
    }),
    ...(snapshot.action === undefined ? {} : { action: actionJson(snapshot) }),
  };
}

/** The next-action model of `--target action` in `/weights`. */
export interface ActionJson {
  /** The classes, in order. */
  classes: string[];
  /** Per class: the weights by feature (standardized features) and the intercept. */
  weights: Record<string, { weights: Record<string, number>; intercept: number }>;
  /** The prequential multi-class metrics. */
  metrics: {
    /** Events learnt. */
    events: number;
    /** Cumulative multi-class log loss; `null` before the first event. */
    log_loss: number | null;
    /** The log loss of the generator's true next-action probabilities, when known. */
    bayes_log_loss: number | null;
    /** The log loss of the running class frequencies: the baseline to beat. */
    constant_log_loss: number | null;
    /** (log loss − Bayes) / (constant − Bayes): the share of the learnable gap still open. */
    share_open: number | null;
    /** The same over the rolling window. */
    rolling: {
      /** Events in the window. */
      events: number;
      /** The window's multi-class log loss. */
      log_loss: number | null;
      /** The window's Bayes log loss, when known. */
      bayes_log_loss: number | null;
      /** Share of the window's events whose most probable class was the true one. */
      accuracy: number | null;
      /** `confusion[true][predicted]`, classes in order. */
      confusion: number[][];
    };
    /** Per class: count, log loss (cumulative), precision and recall (rolling). */
    classes: Record<
      string,
      { count: number; log_loss: number | null; precision: number | null; recall: number | null }
    >;
  };
}

function actionJson(snapshot: Snapshot): ActionJson {
  const a = snapshot.action!, m = a.metrics;
  const weights: ActionJson["weights"] = {};
  const classes: ActionJson["metrics"]["classes"] = {};
  a.classes.forEach((c, k) => {
    const byName: Record<string, number> = {};
    snapshot.featureNames.forEach((name, j) => byName[name] = a.weights[k][j]);
    weights[c] = { weights: byName, intercept: a.intercepts[k] };
    const x = m.classes[k];
    classes[c] = {
      count: x.count,
      log_loss: x.logLoss,
      precision: x.precision,
      recall: x.recall,
    };
  });
  return {
    classes: [...a.classes],
    weights,
    metrics: {
      events: m.events,
      log_loss: m.logLoss,
      bayes_log_loss: m.bayesLogLoss,
      constant_log_loss: m.constantLogLoss,
      share_open: m.shareOpen,
      rolling: {
        events: m.rolling.events,
        log_loss: m.rolling.logLoss,
        bayes_log_loss: m.rolling.bayesLogLoss,
        accuracy: m.rolling.accuracy,
        confusion: m.rolling.confusion,
      },
      classes,
    },
  };
}

/** The `/healthz` view: the status, and the reason when unhealthy. */
export function healthJson(snapshot: Snapshot, now: number): Record<string, unknown> {
  const common = {
    batch_id: snapshot.batchId,
    events_trained: snapshot.eventsTrained,
    lag: Number.isFinite(snapshot.lag) ? snapshot.lag : null,
    snapshot_age_seconds: Math.max(0, (now - snapshot.time) / 1000),
  };
  return snapshot.healthy
    ? { status: "ok", ...common }
    : { status: "unhealthy", reason: snapshot.healthReason ?? "unhealthy", ...common };
}

/** The `/purchases` view: the first `top` purchasers of the snapshot (already ranked). */
export function purchasesJson(snapshot: Snapshot, top: number): PurchaserJson[] {
  return snapshot.topPurchasers.slice(0, top).map((p) => ({
    user_id: p.userId,
    purchases: p.purchases,
    amount: p.amount,
  }));
}

/** ISO 8601 of a time in ms since the epoch, or `""` when it is not a valid time. */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/** Headers every JSON answer carries. */
const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

/**
 * A JSON response, pretty-printed with 2 spaces and a final newline so `curl` output reads well.
 * `NaN` and infinities are written as `null` (JSON has no such numbers).
 */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { ...JSON_HEADERS, ...headers },
  });
}
