/**
 * What the dashboard reads: `GET /history` (one JSON update holding the whole chart history)
 * and `GET /events` (server-sent events: the same update first, then one message per newly
 * published snapshot, carrying only the history points the client has not seen yet).
 *
 * The handler stays pure: an event stream polls the `snapshot()` getter (default every 500 ms)
 * and writes a message when a different snapshot object is published (snapshots are immutable
 * and swapped whole, so identity means "nothing changed"). A stream ends when the client goes
 * away (`Deno.serve` then cancels the body; the request's own signal is not listened to, as
 * Deno warns about its legacy abort-on-completion there), when the server's `signal` aborts
 * (so it never holds a shutting-down server open), or after `maxStreamMs` (browsers'
 * `EventSource` reconnects by itself, and `retry:` tells it to wait 1 s).
 *
 * @module
 */

import type { FeatureLogLag } from "../stream/feature_log_lag.ts";
import type { DriftMarker, HistoryPoint, MetricsView, Snapshot } from "../stream/snapshot.ts";
import type { Clock } from "../util/clock.ts";
import type { SparseWeight } from "../learn/model.ts";

/** The current figures of a snapshot, as the dashboard shows them. */
export interface DashboardState {
  /** Topic trained on (`train`) or the feature log (`learn`). */
  topic: string;
  /** Learning mode: `seed`, `adagrad` or `ftrl`. */
  mode: string;
  /** The feature set's name (`--features`). */
  featureSet: string;
  /** Feature names, in the order of `weights`. */
  featureNames: readonly string[];
  /** Weights by feature, on the standardized features the model learns on. */
  weights: readonly number[];
  /** Intercept on standardized features. */
  intercept: number;
  /** The same model on the raw (unstandardized) features. */
  rawWeights: readonly number[];
  /** The raw-feature intercept. */
  rawIntercept: number;
  /** The hashed url buckets largest by |weight| (`Snapshot.topBuckets`); empty without. */
  topBuckets: readonly SparseWeight[];
  /** Model updates so far. */
  updates: number;
  /** Valid events the model has learned from. */
  eventsTrained: number;
  /** Batches processed. */
  batches: number;
  /** Id of the last batch (`-1` before the first). */
  batchId: number;
  /** Publication time, ms since the epoch. */
  time: number;
  /** Figures over the most recent events (a window of 100k). */
  rolling: MetricsView;
  /** Figures over every event so far. */
  cumulative: MetricsView;
  /** Consumer lag summed over partitions, in records (`NaN` when unknown). */
  lag: number;
  /** Throughput of the last batch, events/s of processing time. */
  eventsPerSecond: number;
  /** Bad records by reason. */
  badRecords: Readonly<Record<string, number>>;
  /** Bad records of every reason, summed. */
  badRecordsTotal: number;
  /** Records skipped because the checkpoint already covered them. */
  skippedRecords: number;
  /** Whether `/healthz` answers 200. */
  healthy: boolean;
  /** Why the trainer is unhealthy, else `null`. */
  healthReason: string | null;
  /** The last checkpoint written (its batch id and time), `null` before the first. */
  checkpoint: { batchId: number; time: number } | null;
  /** Drifts detected since the start (from the detector, else the markers kept). */
  driftsTotal: number;
  /** Detector name, statistic, threshold and reaction, or `null` when detection is off. */
  drift: Snapshot["drift"] | null;
  /** The feature-log offset the model has consumed up to (`learn`), else `null`. */
  modelVersion: number | null;
  /** The next-action model's metrics (`--target action`), else `null`. */
  action: ActionDashboard | null;
  /** The featurizers' lag as it reaches the model (`learn`), else `null`. */
  featureLog: FeatureLogLag | null;
}

/** The next-action model's figures on the dashboard. */
export interface ActionDashboard {
  /** The classes, in order. */
  classes: readonly string[];
  /** Cumulative multi-class log loss. */
  logLoss: number | null;
  /** Its Bayes baseline (the generator's true probabilities), when known. */
  bayesLogLoss: number | null;
  /** Its constant-frequency baseline. */
  constantLogLoss: number | null;
  /** (log loss − Bayes) / (constant − Bayes): the share of the learnable gap still open. */
  shareOpen: number | null;
  /** The rolling window's log loss. */
  rollingLogLoss: number | null;
  /** The rolling window's accuracy. */
  rollingAccuracy: number | null;
  /** Per class: count and log loss (cumulative), precision and recall (rolling). */
  perClass: readonly {
    count: number;
    logLoss: number | null;
    precision: number | null;
    recall: number | null;
  }[];
}

function actionDashboard(s: Snapshot): ActionDashboard | null {
  const a = s.action;
  if (a === undefined) return null;
  const m = a.metrics;
  return {
    classes: a.classes,
    logLoss: m.logLoss,
    bayesLogLoss: m.bayesLogLoss,
    constantLogLoss: m.constantLogLoss,
    shareOpen: m.shareOpen,
    rollingLogLoss: m.rolling.logLoss,
    rollingAccuracy: m.rolling.accuracy,
    perClass: m.classes,
  };
}

/** One message of `/events` (and the body of `/history`). */
export interface DashboardUpdate {
  /** Server time when the message was written, ms since the epoch (for ages). */
  now: number;
  /** `true`: drop every point held before this message (first message, or the trainer reset). */
  reset: boolean;
  /** The current figures. */
  state: DashboardState;
  /** History points not sent before, oldest first. */
  points: readonly HistoryPoint[];
  /** Every drift marker the snapshot holds (few). */
  drifts: readonly DriftMarker[];
}

/** The dashboard's view of a snapshot's current figures. */
export function dashboardState(s: Snapshot): DashboardState {
  return {
    topic: s.topic,
    mode: s.mode,
    featureSet: s.featureSet,
    featureNames: s.featureNames,
    weights: s.weights,
    intercept: s.intercept,
    rawWeights: s.rawWeights,
    rawIntercept: s.rawIntercept,
    topBuckets: s.topBuckets ?? [],
    updates: s.updates,
    eventsTrained: s.eventsTrained,
    batches: s.batches,
    batchId: s.batchId,
    time: s.time,
    rolling: s.rolling,
    cumulative: s.cumulative,
    lag: s.lag,
    eventsPerSecond: s.eventsPerSecond,
    badRecords: s.badRecords,
    badRecordsTotal: Object.values(s.badRecords).reduce((a, b) => a + b, 0),
    skippedRecords: s.skippedRecords,
    healthy: s.healthy,
    healthReason: s.healthReason,
    checkpoint: s.checkpoint,
    driftsTotal: s.drift?.total ?? s.drifts.length,
    drift: s.drift ?? null,
    modelVersion: s.modelVersion ?? null,
    action: actionDashboard(s),
    featureLog: s.featureLog ?? null,
  };
}

/**
 * The update that brings a client which last saw the point of batch `lastSent` (`-1`: none) up
 * to `snapshot`. When the snapshot's history no longer holds that point (the trainer was reset),
 * the update is a `reset` with the whole history.
 */
export function dashboardUpdate(
  snapshot: Snapshot,
  lastSent: number,
  now: number,
): DashboardUpdate {
  const history = snapshot.history;
  let from = 0;
  let reset = lastSent < 0;
  if (!reset) {
    const at = lastIndexOfBatch(history, lastSent);
    if (at < 0) reset = true;
    else from = at + 1;
  }
  return {
    now,
    reset,
    state: dashboardState(snapshot),
    points: history.slice(from),
    drifts: snapshot.drifts,
  };
}

function lastIndexOfBatch(history: readonly HistoryPoint[], batchId: number): number {
  for (let i = history.length - 1; i >= 0; i--) {
    const b = history[i].batchId;
    if (b === batchId) return i;
    if (b < batchId) return -1;
  }
  return -1;
}

/** Options of {@linkcode eventStream}. */
export interface EventStreamOptions {
  /** Ends the stream when aborted (the server is stopping). Default: none. */
  signal?: AbortSignal;
  /** How often the snapshot getter is polled, ms. Default `500`. */
  pollMs?: number;
  /** A stream is closed after this long (the browser reconnects), ms. Default `600000`. */
  maxStreamMs?: number;
  /** A comment line is written after this long without a message, ms. Default `15000`. */
  keepAliveMs?: number;
  /** Clock for `now`. Default `Date`. */
  clock?: Pick<Clock, "now">;
  /** Timers. Default `globalThis`'s `setInterval` / `clearInterval`. */
  timers?: {
    setInterval(fn: () => void, ms: number): number;
    clearInterval(id: number): void;
  };
}

/** Serializes one update as a server-sent event (`NaN` and infinities become `null`). */
export function sseMessage(update: DashboardUpdate): string {
  return `event: update\ndata: ${JSON.stringify(update)}\n\n`;
}

/**
 * The `text/event-stream` response of `GET /events`: the first message right away, then one per
 * new snapshot. See the module documentation for when it ends.
 */
export function eventStream(
  snapshot: () => Snapshot,
  options: EventStreamOptions = {},
): Response {
  const pollMs = options.pollMs ?? 500;
  const maxMs = options.maxStreamMs ?? 600_000;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const clock = options.clock ?? Date;
  const timers = options.timers ?? {
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms) as unknown as number,
    clearInterval: (id: number) => clearInterval(id),
  };
  const encoder = new TextEncoder();
  let timer: number | undefined;
  let finish = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let last: Snapshot | null = null;
      let lastSent = -1;
      let closed = false;
      let quietMs = 0;
      let openMs = 0;
      finish = () => {
        if (closed) return;
        closed = true;
        if (timer !== undefined) timers.clearInterval(timer);
        options.signal?.removeEventListener("abort", finish);
        try {
          controller.close();
        } catch { /* already closed or cancelled */ }
      };
      const write = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          finish();
        }
      };
      const poll = () => {
        if (closed) return;
        let current: Snapshot;
        try {
          current = snapshot();
        } catch {
          // No snapshot to read (never expected from a running trainer): end the stream rather
          // than throw from a timer; the browser reconnects after `retry`.
          finish();
          return;
        }
        if (current === last) {
          quietMs += pollMs;
          if (quietMs >= keepAliveMs) {
            quietMs = 0;
            write(": keep-alive\n\n");
          }
          return;
        }
        last = current;
        quietMs = 0;
        const update = dashboardUpdate(current, lastSent, clock.now());
        const points = current.history;
        lastSent = points.length > 0 ? points[points.length - 1].batchId : -1;
        write(sseMessage(update));
      };
      if (options.signal?.aborted) {
        finish();
        return;
      }
      options.signal?.addEventListener("abort", finish, { once: true });
      write("retry: 1000\n\n");
      poll();
      timer = timers.setInterval(() => {
        openMs += pollMs;
        if (openMs >= maxMs) finish();
        else poll();
      }, pollMs);
    },
    cancel() {
      finish();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
