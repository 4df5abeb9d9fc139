/**
 * What the load generator prints: a progress line every 2 seconds (elapsed time, bytes against
 * the target, percent, MB/s and events/s over the last interval, errors) — as one plain line per
 * report, or as a progress bar redrawn in place when stdout is a terminal — and the final
 * summary. Pure functions of the counts and the elapsed time, so they are tested without a clock.
 *
 * @module
 */

/** What bounds a run. */
export type LoadTarget =
  | { kind: "bytes"; bytes: number }
  | { kind: "events"; events: number }
  | { kind: "duration"; ms: number };

/** Acknowledged totals at one moment. */
export interface ProgressSample {
  /** Time since the run started, ms. */
  elapsedMs: number;
  /** Events acknowledged by Kafka. */
  events: number;
  /** Value bytes acknowledged. */
  bytes: number;
  /** Events whose send failed. */
  errors: number;
}

/** Options of {@linkcode formatProgress}. */
export interface FormatProgressOptions {
  /**
   * Draw a bar for a terminal (redrawn in place with `\r`).
   *
   * @default {false} a plain line
   */
  terminal?: boolean;
  /**
   * Width of the bar in characters.
   *
   * @default {24}
   */
  barWidth?: number;
}

/** `1234567` → `"1,234,567"` (no locale dependence). */
export function formatCount(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}

/** Decimal byte sizes, as the original's MB/s: `"950 B"`, `"12.3 kB"`, `"223.4 MB"`, `"5.00 GB"`. */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${Math.round(n)} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** Seconds with one decimal: `"12.0s"`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The fraction (0..1) of the target reached. */
export function fractionDone(sample: ProgressSample, target: LoadTarget): number {
  const f = target.kind === "bytes"
    ? sample.bytes / target.bytes
    : target.kind === "events"
    ? sample.events / target.events
    : sample.elapsedMs / target.ms;
  return Number.isNaN(f) ? 0 : Math.max(0, Math.min(1, f));
}

function rates(current: ProgressSample, previous: ProgressSample | null) {
  const base = previous ?? { elapsedMs: 0, events: 0, bytes: 0, errors: 0 };
  const seconds = (current.elapsedMs - base.elapsedMs) / 1000;
  if (!(seconds > 0)) return { mbps: 0, eps: 0 };
  return {
    mbps: (current.bytes - base.bytes) / 1e6 / seconds,
    eps: (current.events - base.events) / seconds,
  };
}

function amount(sample: ProgressSample, target: LoadTarget): string {
  switch (target.kind) {
    case "bytes":
      return `${formatBytes(sample.bytes)} / ${formatBytes(target.bytes)}`;
    case "events":
      return `${formatCount(sample.events)} / ${formatCount(target.events)} events, ${
        formatBytes(sample.bytes)
      }`;
    case "duration":
      return `${formatBytes(sample.bytes)}, ${formatCount(sample.events)} events`;
  }
}

/**
 * One progress report. Rates are over the interval since `previous` (the last report; `null`
 * for the first, then since the start). Plain: `"[  12.0s] 1.23 GB / 5.00 GB  24.6%  9.8 MB/s
 * 87,654 events/s  errors 0"`. Terminal: `"\r\x1b[2K[██████░░…]  24.6% …"` without a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgress } from "./progress.ts";
 *
 * const target = { kind: "events", events: 1_000_000 } as const;
 * const previous = { elapsedMs: 2000, events: 100_000, bytes: 10e6, errors: 0 };
 * const current = { elapsedMs: 4000, events: 250_000, bytes: 25e6, errors: 0 };
 * assert.equal(
 *   formatProgress(current, previous, target),
 *   "[   4.0s] 250,000 / 1,000,000 events, 25.0 MB  25.0%  7.5 MB/s  75,000 events/s  errors 0",
 * );
 * ```
 */
export function formatProgress(
  current: ProgressSample,
  previous: ProgressSample | null,
  target: LoadTarget,
  options: FormatProgressOptions = {},
): string {
  const { mbps, eps } = rates(current, previous);
  const fraction = fractionDone(current, target);
  const percent = `${(fraction * 100).toFixed(1)}%`;
  const elapsed = target.kind === "duration"
    ? `${formatSeconds(current.elapsedMs)} / ${formatSeconds(target.ms)}`
    : formatSeconds(current.elapsedMs);
  const tail = `${mbps.toFixed(1)} MB/s  ${formatCount(eps)} events/s  errors ${
    formatCount(current.errors)
  }`;
  if (options.terminal) {
    const width = options.barWidth ?? 24;
    const filled = Math.round(fraction * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    return `\r\x1b[2K[${bar}] ${percent.padStart(6)}  ${elapsed}  ${
      amount(current, target)
    }  ${tail}`;
  }
  return `[${elapsed.padStart(7)}] ${amount(current, target)}  ${percent}  ${tail}`;
}

/** What the final summary describes. */
export interface SummaryInfo {
  /** The final totals. */
  final: ProgressSample;
  /** Why the run ended: `"done"`, `"interrupted"` (Ctrl-C / abort) or `"failed"`. */
  outcome: "done" | "interrupted" | "failed";
  /** Workers × senders, acks, compression, topic: one short description of the setup. */
  setup: string;
  /**
   * The first distinct error messages (at most a few).
   *
   * @default {[]}
   */
  errorMessages?: readonly string[];
}

/** The final summary: totals, average rates, errors and how the run ended; several lines. */
export function formatSummary(info: SummaryInfo): string {
  const { final } = info;
  const seconds = final.elapsedMs / 1000;
  const eps = seconds > 0 ? final.events / seconds : 0;
  const mbps = seconds > 0 ? final.bytes / 1e6 / seconds : 0;
  const mean = final.events > 0 ? final.bytes / final.events : 0;
  const head = info.outcome === "done"
    ? "loadtest done"
    : info.outcome === "interrupted"
    ? "loadtest interrupted"
    : "loadtest FAILED";
  const lines = [
    `${head}: ${formatCount(final.events)} events, ${formatBytes(final.bytes)} in ${
      formatSeconds(final.elapsedMs)
    } (${info.setup})`,
    `  ${formatCount(eps)} events/s, ${mbps.toFixed(1)} MB/s, mean record ${
      mean.toFixed(1)
    } bytes, errors ${formatCount(final.errors)}`,
  ];
  for (const message of info.errorMessages ?? []) lines.push(`  error: ${message}`);
  return lines.join("\n");
}
