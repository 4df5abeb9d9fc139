/**
 * The Prometheus metrics of the trainer, read from the current {@linkcode Snapshot} at scrape
 * time. Each call of {@linkcode createMetrics} builds its own prom-client `Registry` (the default
 * registry is never touched), so two trainers or two tests never share a metric. Totals that the
 * snapshot carries (events trained, batches, bad records, ...) are counters whose value is set to
 * the snapshot's at every scrape; they fall back to zero after an admin reset, which Prometheus
 * reads as a counter reset.
 *
 * Naming follows Prometheus conventions: a `clickstream_` prefix, units in the name (`_seconds`,
 * `_records`, `_ratio`), `_total` only on counters. `NaN` stands for "not known yet" (AUC before
 * both classes were seen, lag before the first fetch, checkpoint age before the first
 * checkpoint) and is written as `NaN`. A handful of `process_*` metrics come from
 * `Deno.memoryUsage()` and `process.cpuUsage()`: prom-client's `collectDefaultMetrics` runs on
 * Deno but reports garbage there (event-loop lag of 9.2e9 s, `Nan` means, libuv handle counts),
 * so it is not used.
 *
 * @module
 */

import process from "node:process";
import { Counter, Gauge, Registry } from "prom-client";
import { EVENT_ERROR_REASONS } from "../events/errors.ts";
import type { ActionSnapshot, MetricsView, Snapshot } from "../stream/snapshot.ts";
import type { Clock } from "../util/clock.ts";
import { registerFeatureLogMetrics } from "./feature_log_metrics.ts";

/**
 * The text exposition of `registry`, with NaN spelled as the text format has it (prom-client
 * writes `Nan`).
 */
export async function prometheusText(registry: Registry): Promise<string> {
  return (await registry.metrics()).replace(/ Nan$/gm, " NaN");
}

/** Options of {@linkcode createMetrics}. */
export interface CreateMetricsOptions {
  /** Clock for the checkpoint age. Default `Date`. */
  clock?: Pick<Clock, "now">;
  /** Include the `process_*` metrics (memory, CPU, start time). Default `true`. */
  processMetrics?: boolean;
}

/** The metrics of one handler: its registry and how to render it. */
export interface Metrics {
  /** The registry holding every metric (not the prom-client default registry). */
  readonly registry: Registry;
  /** The content type of {@linkcode Metrics.render}'s text. */
  readonly contentType: string;
  /** Renders every metric in the Prometheus text format, from one snapshot. */
  render(): Promise<string>;
}

/** The metric windows of a snapshot, as the `window` label. */
const WINDOWS = [
  ["cumulative", "cumulative"],
  ["rolling", "rolling"],
  ["last_batch", "lastBatch"],
] as const satisfies readonly (readonly [string, keyof Snapshot])[];

const PREFIX = "clickstream_";

/**
 * Creates the metrics over `snapshot` (called once per scrape) in a registry of their own.
 *
 * ```ts
 * const metrics = createMetrics(() => current);
 * const text = await metrics.render();
 * ```
 */
export function createMetrics(
  snapshot: () => Snapshot,
  options: CreateMetricsOptions = {},
): Metrics {
  const clock = options.clock ?? Date;
  const registry = new Registry();
  const registers = [registry];
  // The snapshot of the scrape in progress, so that every metric of one scrape agrees.
  let scraping: Snapshot | null = null;
  const current = () => scraping ?? snapshot();

  const total = (name: string, help: string, read: (s: Snapshot) => number) => {
    new Counter({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.reset();
        const value = read(current());
        if (Number.isFinite(value) && value > 0) this.inc(value);
      },
    });
  };
  const gauge = (name: string, help: string, read: (s: Snapshot) => number) => {
    new Gauge({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.set(read(current()));
      },
    });
  };
  const perWindow = (name: string, help: string, read: (m: MetricsView) => number) => {
    new Gauge({
      name: PREFIX + name,
      help: `${help} (window: cumulative, rolling = the most recent events, last_batch)`,
      labelNames: ["window"],
      registers,
      collect() {
        this.reset();
        const s = current();
        for (const [label, key] of WINDOWS) {
          this.set({ window: label }, read(s[key] as MetricsView));
        }
      },
    });
  };

  total("events_trained_total", "Valid events the model has learned from.", (s) => s.eventsTrained);
  total("batches_total", "Micro-batches processed.", (s) => s.batches);
  total(
    "model_updates_total",
    "Model updates (the original's model update #N).",
    (s) => s.updates,
  );
  total(
    "skipped_records_total",
    "Records skipped because the checkpoint already covered them.",
    (s) => s.skippedRecords,
  );
  new Counter({
    name: PREFIX + "bad_records_total",
    help: "Records that are not valid events, by reason.",
    labelNames: ["reason"],
    registers,
    collect() {
      this.reset();
      const counts = current().badRecords;
      const reasons = new Set<string>([...EVENT_ERROR_REASONS, ...Object.keys(counts)]);
      for (const reason of reasons) {
        const value = counts[reason] ?? 0;
        this.inc({ reason }, Number.isFinite(value) && value > 0 ? value : 0);
      }
    },
  });

  gauge(
    "sessions_live",
    "Sessions live in the session stores, over the input partitions (NaN without stores).",
    (s) => s.sessions?.live ?? NaN,
  );
  total(
    "sessions_expired_total",
    "Sessions forgotten after --session-idle of event time.",
    (s) => s.sessions?.expired ?? 0,
  );
  total(
    "sessions_evicted_total",
    "Sessions evicted, the least recently seen, by the --max-sessions cap.",
    (s) => s.sessions?.evicted ?? 0,
  );
  total(
    "drifts_total",
    "Concept drifts detected over the prequential log loss.",
    (s) => s.drift?.total ?? s.drifts.length,
  );
  gauge(
    "drift_statistic",
    "The drift detector's test statistic; a drift fires above clickstream_drift_threshold " +
      "(NaN when detection is off).",
    (s) => s.drift?.statistic ?? NaN,
  );
  gauge(
    "drift_threshold",
    "The drift detector's alarm threshold (NaN when detection is off).",
    (s) => s.drift?.threshold ?? NaN,
  );

  /** A gauge of the next-action model (`--target action`), no series without it. */
  const perAction = (
    name: string,
    help: string,
    labelNames: string[],
    read: (a: ActionSnapshot, set: (labels: Record<string, string>, v: number) => void) => void,
  ) => {
    new Gauge({
      name: PREFIX + name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        const a = current().action;
        if (a !== undefined) read(a, (labels, v) => this.set(labels, v));
      },
    });
  };
  const nan = (v: number | null) => v ?? NaN;
  perAction(
    "action_log_loss",
    "Prequential multi-class log loss of the next-action model (window: cumulative, rolling)",
    ["window"],
    (a, set) => {
      set({ window: "cumulative" }, nan(a.metrics.logLoss));
      set({ window: "rolling" }, nan(a.metrics.rolling.logLoss));
    },
  );
  perAction(
    "action_baseline_log_loss",
    "Cumulative log loss of the next-action baselines: constant = the class frequencies, " +
      "bayes = the true action distributions (generator streams only)",
    ["baseline"],
    (a, set) => {
      set({ baseline: "constant" }, nan(a.metrics.constantLogLoss));
      set({ baseline: "bayes" }, nan(a.metrics.bayesLogLoss));
    },
  );
  perAction(
    "action_class_log_loss",
    "Cumulative log loss of the next-action model over the events of each class",
    ["class"],
    (a, set) => a.classes.forEach((c, i) => set({ class: c }, nan(a.metrics.classes[i].logLoss))),
  );
  perAction(
    "action_precision",
    "Precision of the most probable next action, per class, over the rolling window",
    ["class"],
    (a, set) => a.classes.forEach((c, i) => set({ class: c }, nan(a.metrics.classes[i].precision))),
  );
  perAction(
    "action_recall",
    "Recall of the most probable next action, per class, over the rolling window",
    ["class"],
    (a, set) => a.classes.forEach((c, i) => set({ class: c }, nan(a.metrics.classes[i].recall))),
  );
  perAction(
    "action_confusion",
    "Events of the rolling window by true and most probable (predicted) next action",
    ["true", "predicted"],
    (a, set) =>
      a.metrics.rolling.confusion.forEach((row, t) =>
        row.forEach((v, p) => set({ true: a.classes[t], predicted: a.classes[p] }, v))
      ),
  );

  perWindow("log_loss", "Prequential log loss of the model (natural log)", (m) => m.logLoss);
  new Gauge({
    name: PREFIX + "baseline_log_loss",
    help: "Log loss of the baselines: constant = always the events' purchase rate, " +
      "bayes = the true probabilities (generator streams only) " +
      "(window: cumulative, rolling, last_batch)",
    labelNames: ["window", "baseline"],
    registers,
    collect() {
      this.reset();
      const s = current();
      for (const [label, key] of WINDOWS) {
        const view = s[key] as MetricsView;
        this.set({ window: label, baseline: "constant" }, view.constantLogLoss);
        if (view.bayesLogLoss !== null) {
          this.set({ window: label, baseline: "bayes" }, view.bayesLogLoss);
        }
      }
    },
  });
  perWindow("roc_auc", "ROC AUC of the prequential scores, NaN until both classes", (m) => m.auc);
  perWindow("accuracy_ratio", "Accuracy of the scores thresholded at 0.5", (m) => m.accuracy);
  perWindow(
    "majority_accuracy_ratio",
    "Accuracy of always predicting the majority class",
    (m) => m.majorityAccuracy,
  );
  perWindow("purchase_ratio", "Share of purchases among the events", (m) => m.purchaseRate);
  perWindow("window_events", "Events scored in the window", (m) => m.events);

  gauge(
    "consumer_lag_records",
    "Consumer lag summed over partitions, in records (NaN when unknown).",
    (s) => s.lag,
  );
  gauge(
    "events_per_second",
    "Throughput of the last batch, events per second of processing time.",
    (s) => s.eventsPerSecond,
  );
  new Gauge({
    name: PREFIX + "model_weight",
    help: "Model weight by feature (one series per dense feature), on the standardized features.",
    labelNames: ["feature"],
    registers,
    collect() {
      this.reset();
      const s = current();
      s.featureNames.forEach((feature, i) => this.set({ feature }, s.weights[i]));
    },
  });
  new Gauge({
    name: PREFIX + "url_bucket_weight",
    help:
      "Weight of a hashed url bucket, for the 20 buckets largest by |weight| (none for a feature set without hashed urls).",
    labelNames: ["bucket"],
    registers,
    collect() {
      this.reset();
      for (const b of current().topBuckets ?? []) this.set({ bucket: String(b.index) }, b.weight);
    },
  });
  gauge("model_intercept", "Model intercept; sigmoid of it is the baseline probability.", (s) => {
    return s.intercept;
  });
  gauge("last_batch_id", "Id of the last batch processed (-1 before the first).", (s) => s.batchId);
  gauge(
    "model_version",
    "The feature-log offset the model has consumed up to (learn; NaN where the model is not read from a feature log).",
    (s) => s.modelVersion ?? NaN,
  );
  gauge(
    "checkpoint_age_seconds",
    "Seconds since the newest checkpoint was written (NaN before the first).",
    (s) => s.checkpoint === null ? NaN : Math.max(0, (clock.now() - s.checkpoint.time) / 1000),
  );
  gauge(
    "checkpoint_batch_id",
    "Id of the batch the newest checkpoint covers (NaN before the first).",
    (s) => s.checkpoint === null ? NaN : s.checkpoint.batchId,
  );
  gauge(
    "snapshot_timestamp_seconds",
    "When the served snapshot was published, seconds since the epoch.",
    (s) => s.time / 1000,
  );
  gauge("healthy", "1 while consuming, 0 while cut off from the broker.", (s) => s.healthy ? 1 : 0);
  new Gauge({
    name: PREFIX + "info",
    help: "Always 1; the labels say the learning mode, the feature set and the topic trained on.",
    labelNames: ["mode", "feature_set", "topic"],
    registers,
    collect() {
      this.reset();
      const s = current();
      this.set({ mode: s.mode, feature_set: s.featureSet, topic: s.topic }, 1);
    },
  });

  registerFeatureLogMetrics(registers, current);
  if (options.processMetrics ?? true) registerProcessMetrics(registry);

  return {
    registry,
    contentType: registry.contentType,
    async render(): Promise<string> {
      scraping = snapshot();
      try {
        return await prometheusText(registry);
      } finally {
        scraping = null;
      }
    },
  };
}

/** Registers the cheap process metrics that are right on Deno. */
function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  const startSeconds = performance.timeOrigin / 1000;
  const cpu = (name: string, help: string, field: "user" | "system") => {
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(process.cpuUsage()[field] / 1e6);
      },
    });
  };
  cpu("process_cpu_user_seconds_total", "User CPU time spent, in seconds.", "user");
  cpu("process_cpu_system_seconds_total", "System CPU time spent, in seconds.", "system");
  const memory = (name: string, help: string, field: keyof Deno.MemoryUsage) => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(Deno.memoryUsage()[field]);
      },
    });
  };
  memory("process_resident_memory_bytes", "Resident memory size, in bytes.", "rss");
  memory("process_heap_used_bytes", "JavaScript heap in use, in bytes.", "heapUsed");
  memory("process_heap_total_bytes", "JavaScript heap reserved, in bytes.", "heapTotal");
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process, seconds since the epoch.",
    registers,
    collect() {
      this.set(startSeconds);
    },
  });
}
