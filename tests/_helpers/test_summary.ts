/**
 * deno test's closing line — `ok | 42 passed (10 steps) | 0 failed | 1 ignored (1m2s)` or
 * `FAILED | 40 passed | 2 failed (3s)` — read, added up over several runs and written again in
 * the same format, so that `tests/run.ts` can close its two runs with one line `.ci/run` reads.
 *
 * @module
 */

/** The counts of one summary line. */
export interface RunSummary {
  /** Tests passed. */
  passed: number;
  /** Steps passed. */
  passedSteps: number;
  /** Tests failed. */
  failed: number;
  /** Steps failed. */
  failedSteps: number;
  /** Tests ignored. */
  ignored: number;
  /** Tests filtered out. */
  filteredOut: number;
  /** Wall time, ms (`0` when the line shows none). */
  ms: number;
}

// deno-lint-ignore no-control-regex -- deno test colours its summary with ESC sequences
const ANSI = /\x1b\[[0-9;]*m/g;
const LINE =
  /^(ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored)?(?: \| (\d+) filtered out)?(?: \(([^)]*)\))?\s*$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Parses deno test's summary line (colours allowed), or `undefined` for any other line. */
export function parseSummary(line: string): RunSummary | undefined {
  const m = LINE.exec(line.replace(ANSI, "").trim());
  if (!m) return undefined;
  let ms = 0;
  for (const [, n, unit] of (m[8] ?? "").matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    ms += Number(n) * UNIT_MS[unit];
  }
  return {
    passed: Number(m[2]),
    passedSteps: Number(m[3] ?? 0),
    failed: Number(m[4]),
    failedSteps: Number(m[5] ?? 0),
    ignored: Number(m[6] ?? 0),
    filteredOut: Number(m[7] ?? 0),
    ms,
  };
}

/** The sum of several summaries (all zero for none). */
export function addSummaries(summaries: readonly RunSummary[]): RunSummary {
  const total: RunSummary = {
    passed: 0,
    passedSteps: 0,
    failed: 0,
    failedSteps: 0,
    ignored: 0,
    filteredOut: 0,
    ms: 0,
  };
  for (const s of summaries) {
    for (const key of Object.keys(total) as (keyof RunSummary)[]) total[key] += s[key];
  }
  return total;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

function steps(n: number): string {
  return n > 0 ? ` (${n} step${n === 1 ? "" : "s"})` : "";
}

/** Writes a summary as deno test does: `ok | 3 passed (2 steps) | 0 failed (1m2s)`. */
export function formatSummary(s: RunSummary): string {
  return [
    s.failed > 0 || s.failedSteps > 0 ? "FAILED" : "ok",
    `${s.passed} passed${steps(s.passedSteps)}`,
    `${s.failed} failed${steps(s.failedSteps)}`,
    ...(s.ignored > 0 ? [`${s.ignored} ignored`] : []),
    ...(s.filteredOut > 0 ? [`${s.filteredOut} filtered out`] : []),
  ].join(" | ") + ` (${duration(s.ms)})`;
}
