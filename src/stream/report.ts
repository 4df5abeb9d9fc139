/**
 * The per-batch report, in the original's layout (a rule, `Batch N | events | model update #N`,
 * accuracy, then the current weights and the intercept with its sigmoid), with what the original
 * lacked beside it: every figure next to its baseline (majority accuracy, constant-rate log loss,
 * the best possible log loss when known), ROC AUC, throughput and lag, for the last batch, the
 * rolling window and the whole run. Built from a {@linkcode Snapshot} alone.
 *
 * @module
 */

import type { MetricsView, PurchaserView, Snapshot } from "./snapshot.ts";
import { sigmoid } from "../learn/logistic.ts";

const RULE = "=".repeat(64);
const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function fixed(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

function signed(x: number): string {
  return (x >= 0 ? "+" : "") + x.toFixed(4);
}

function row(
  label: string,
  views: MetricsView[],
  pick: (v: MetricsView) => number | null,
  format: (x: number | null) => string = fixed,
): string {
  return label.padEnd(26) + views.map((v) => format(pick(v)).padStart(12)).join("");
}

/** What the report needs beyond the snapshot. */
export interface BatchReportOptions {
  /** Events in the batch (valid and bad). Default: the last batch's scored events. */
  batchEvents?: number;
  /** Whether to append the top purchasers table. Default `false`. */
  includePurchasers?: boolean;
  /** Rows of the purchasers table. Default `5`. */
  topN?: number;
}

/** Formats the report of the batch that produced `snapshot`. */
export function formatBatchReport(snapshot: Snapshot, options: BatchReportOptions = {}): string {
  const s = snapshot;
  const views = [s.lastBatch, s.rolling, s.cumulative];
  const perEvent = s.mode !== "seed";
  const bad = Object.values(s.badRecords).reduce((a, b) => a + b, 0);
  const lines = [
    RULE,
    `Batch ${s.batchId} | events: ${
      int.format(options.batchEvents ?? s.lastBatch.events)
    } | model update #${int.format(s.updates)} | mode: ${s.mode}`,
    RULE,
    "".padEnd(26) + "last batch".padStart(12) + "rolling".padStart(12) + "cumulative".padStart(12),
    row("events scored", views, (v) => v.events, (x) => int.format(x ?? 0)),
    row("accuracy", views, (v) => v.accuracy),
    row("  majority baseline", views, (v) => v.majorityAccuracy),
    row("log loss", views, (v) => v.logLoss),
    row("  constant-rate baseline", views, (v) => v.constantLogLoss),
    ...(s.cumulative.bayesLogLoss === null
      ? []
      : [row("  best possible", views, (v) => v.bayesLogLoss)]),
    row("ROC AUC", views, (v) => v.auc),
    `throughput: ${int.format(s.eventsPerSecond)} events/s | lag: ${
      Number.isFinite(s.lag) ? int.format(s.lag) : "?"
    } records | events trained: ${int.format(s.eventsTrained)} | bad records: ${int.format(bad)}${
      s.skippedRecords > 0
        ? ` | skipped (already in checkpoint): ${int.format(s.skippedRecords)}`
        : ""
    }`,
    `Current weights (carried across batches, updated ${
      perEvent ? "after every event" : "by one gradient step per batch"
    }):`,
  ];
  const largest = Math.max(1e-12, ...s.weights.map(Math.abs));
  s.featureNames.forEach((name, i) => {
    const w = s.weights[i];
    const bar = "#".repeat(Math.round((Math.abs(w) / largest) * 20));
    lines.push(`  ${name.padEnd(30)} ${signed(w).padStart(9)} ${bar}`);
  });
  lines.push(
    `  ${"__intercept__".padEnd(30)} ${signed(s.intercept).padStart(9)} (baseline p=${
      sigmoid(s.intercept).toFixed(3)
    })`,
  );
  const buckets = s.topBuckets ?? [];
  if (buckets.length > 0) {
    lines.push(
      `  largest url buckets: ${
        buckets.slice(0, 5).map((b) => `${b.index} ${signed(b.weight)}`).join(", ")
      }`,
    );
  }
  if (s.drifts.length > 0 && s.drifts[s.drifts.length - 1].batchId === s.batchId) {
    const d = s.drifts[s.drifts.length - 1];
    lines.push(`DRIFT detected by ${d.detector} at event ${int.format(d.eventsTrained)}`);
  }
  if (options.includePurchasers) {
    lines.push(...formatPurchasers(s.topPurchasers, options.topN ?? 5));
  }
  return lines.join("\n");
}

/** The top purchasers table (the original's `aggregate_purchases`). */
export function formatPurchasers(rows: readonly PurchaserView[], n: number): string[] {
  const lines = [`Top ${Math.min(n, rows.length)} purchasers (user, purchases, amount):`];
  for (const r of rows.slice(0, n)) {
    lines.push(
      `  user ${String(r.userId).padStart(6)}  ${String(r.purchases).padStart(5)}  ${
        r.amount.toFixed(2).padStart(10)
      }`,
    );
  }
  return lines;
}
