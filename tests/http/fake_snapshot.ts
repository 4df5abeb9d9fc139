/**
 * A hand-built {@linkcode Snapshot} for the HTTP tests: the handler's input, with figures chosen
 * so every field of the views is easy to check. `predict` returns a score per event that grows
 * with its position.
 *
 * @module
 */

import type { MetricsView, Snapshot } from "../../src/stream/snapshot.ts";
import type { WireEvent } from "../../src/events/wire.ts";

/** A metrics window with recognizable figures. */
export function fakeMetrics(events: number, overrides: Partial<MetricsView> = {}): MetricsView {
  return {
    events,
    logLoss: 0.58,
    constantLogLoss: 0.628,
    bayesLogLoss: 0.569,
    auc: 0.69,
    accuracy: 0.679,
    majorityAccuracy: 0.679,
    purchaseRate: 0.321,
    ...overrides,
  };
}

/** The time the fake snapshot was published: 2026-11-25T12:00:00Z. */
export const PUBLISHED = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Builds a fake snapshot; `overrides` replace fields. */
export function fakeSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    mode: "adagrad",
    topic: "clickstream_v2",
    featureSet: "position",
    featureNames: ["position", "log_seconds_since_start", "is_new_session"],
    weights: [0.25, -0.5, 1.5],
    intercept: -1,
    rawWeights: [0.05, -0.2, 1.5],
    rawIntercept: -1.4,
    updates: 12,
    eventsTrained: 12_000,
    batches: 12,
    batchId: 11,
    time: PUBLISHED,
    cumulative: fakeMetrics(12_000),
    rolling: fakeMetrics(10_000, { bayesLogLoss: null }),
    lastBatch: fakeMetrics(1_000, { auc: NaN }),
    lag: 42,
    eventsPerSecond: 50_000,
    badRecords: { not_json: 3, out_of_range: 1 },
    skippedRecords: 5,
    healthy: true,
    healthReason: null,
    checkpoint: { batchId: 10, time: PUBLISHED - 4_000 },
    topPurchasers: Array.from({ length: 30 }, (_, i) => ({
      userId: 1000 + i,
      purchases: 30 - i,
      amount: (30 - i) * 100.5,
    })),
    history: [],
    drifts: [],
    predict(events: readonly WireEvent[]): number[] {
      return events.map((_, i) => Math.min(0.02 + 0.03 * (i + 1), 0.5));
    },
    ...overrides,
  };
}
