/**
 * The HTTP endpoints of `featurize` (`--http`): `/healthz` and `/metrics` (Prometheus text, a
 * prom-client registry of its own, as `metrics.ts`), read at request time from the featurizer's
 * current {@linkcode FeaturizerView} — an immutable view the featurizer replaces after every
 * batch and every refresh of the input's end offsets. Every other path is 404.
 *
 * Metrics: the partitions held, per held partition its next offset, end offset and lag (records
 * between them), rows emitted and suppressed, session snapshots written, partitions restored
 * from one, and the age of each held partition's newest snapshot (`NaN` before the first).
 *
 * @module
 */

import { Counter, Gauge, Registry } from "prom-client";
import { prometheusText } from "./metrics.ts";
import { partitionGauge } from "./partition_gauge.ts";
import { jsonResponse } from "./views.ts";

/** One held partition, as the featurizer last saw it. */
export interface PartitionView {
  /** The input partition. */
  partition: number;
  /** The next offset its state covers. */
  next: number;
  /** The input partition's end offset at the last refresh (`NaN`: not known yet). */
  end: number;
  /** When its newest snapshot was written, epoch ms (`NaN`: none yet). */
  snapshotAt: number;
}

/** What the endpoints show: replaced whole, never changed in place. */
export interface FeaturizerView {
  /** Whether the featurizer is working; `false` with a reason otherwise. */
  healthy: boolean;
  /** Why it is not healthy (`null` when it is). */
  reason: string | null;
  /** The held partitions, ascending. */
  partitions: readonly PartitionView[];
  /** Rows written to the feature log so far. */
  emitted: number;
  /** Rows featurized to rebuild sessions but not written. */
  suppressed: number;
  /** Session snapshots written. */
  snapshots: number;
  /** Partitions restored from a snapshot. */
  restored: number;
}

/** The view before the first batch. */
export const STARTING_VIEW: FeaturizerView = Object.freeze({
  healthy: true,
  reason: null,
  partitions: [],
  emitted: 0,
  suppressed: 0,
  snapshots: 0,
  restored: 0,
});

const PREFIX = "clickstream_featurizer_";

/** Options of {@linkcode createFeaturizeHandler}. */
export interface FeaturizeHandlerOptions {
  /** The current view (called once per request). Required. */
  view: () => FeaturizerView;
  /** The clock for the snapshot age, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** The `/healthz` and `/metrics` handler over `options.view` (see the module documentation). */
export function createFeaturizeHandler(
  options: FeaturizeHandlerOptions,
): (request: Request) => Promise<Response> {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  let scraping: FeaturizerView | null = null;
  const current = () => scraping ?? options.view();
  const total = (name: string, help: string, read: (v: FeaturizerView) => number) =>
    new Counter({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.reset();
        const value = read(current());
        if (value > 0) this.inc(value);
      },
    });
  const perPartition = (name: string, help: string, read: (p: PartitionView) => number) =>
    partitionGauge(registers, PREFIX + name, help, () => current().partitions, read);
  new Gauge({
    name: PREFIX + "partitions",
    help: "Input partitions this featurizer holds.",
    registers,
    collect() {
      this.set(current().partitions.length);
    },
  });
  new Gauge({
    name: PREFIX + "healthy",
    help: "1 while the featurizer works, 0 otherwise.",
    registers,
    collect() {
      this.set(current().healthy ? 1 : 0);
    },
  });
  perPartition("next_offset", "The next offset of the partition its state covers.", (p) => p.next);
  perPartition(
    "end_offset",
    "The input partition's end offset (NaN: not known yet).",
    (p) => p.end,
  );
  perPartition(
    "lag_records",
    "Records of the partition not yet featurized (NaN: end not known yet).",
    (p) => Math.max(0, p.end - p.next),
  );
  perPartition(
    "snapshot_age_seconds",
    "Seconds since the partition's newest session snapshot (NaN: none yet).",
    (p) => (now() - p.snapshotAt) / 1000,
  );
  total("rows_emitted_total", "Rows written to the feature log.", (v) => v.emitted);
  total(
    "rows_suppressed_total",
    "Rows featurized to rebuild sessions but not written (the log had them).",
    (v) => v.suppressed,
  );
  total("snapshots_total", "Session snapshots written to <topic>.sessions.", (v) => v.snapshots);
  total("restored_total", "Partitions restored from a session snapshot.", (v) => v.restored);

  return async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(`${request.method} is not allowed on ${path}\n`, {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    if (path === "/healthz") {
      const v = options.view();
      return jsonResponse({
        status: v.healthy ? "ok" : "unhealthy",
        reason: v.reason,
        partitions: v.partitions.map((p) => p.partition),
      }, v.healthy ? 200 : 503);
    }
    if (path === "/metrics") {
      scraping = options.view();
      try {
        return new Response(await prometheusText(registry), {
          headers: { "content-type": registry.contentType },
        });
      } finally {
        scraping = null;
      }
    }
    return new Response(`no such path: ${path}\n`, { status: 404 });
  };
}
