/**
 * Parsing of the human units the command line accepts: durations (`100ms`, `2s`, `1m`, `1h`)
 * and byte sizes (`5GB`, `512MiB`, `10k`). Bad input raises a `RangeError` naming the value.
 *
 * @module
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `100ms`, `2s`, `1.5m` or `1h` into milliseconds; a bare number is
 * seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./units.ts";
 *
 * assert.equal(parseDuration("100ms"), 100);
 * assert.equal(parseDuration("1.5m"), 90_000);
 * assert.equal(parseDuration("2"), 2000); // a bare number is seconds
 * assert.throws(() => parseDuration("-1s"), RangeError);
 * ```
 *
 * @throws {RangeError} when the text is not a non-negative duration
 */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) {
    throw new RangeError(`Cannot parse duration "${text}": use e.g. 100ms, 2s, 1m or 1h`);
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? "s").toLowerCase()]);
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size such as `5GB` (decimal), `512MiB` (binary) or `1000` into bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBytes } from "./units.ts";
 *
 * assert.equal(parseBytes("5GB"), 5_000_000_000);
 * assert.equal(parseBytes("512MiB"), 512 * 1024 * 1024);
 * assert.throws(() => parseBytes("5 parsecs"), RangeError);
 * ```
 *
 * @throws {RangeError} when the text is not a non-negative size
 */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new RangeError(`Cannot parse byte size "${text}": use e.g. 5GB, 512MiB or 1000`);
  }
  return Math.round(Number(m[1]) * unit);
}

/**
 * Parses a count such as `200000`, `200k` or `1M` (decimal suffixes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCount } from "./units.ts";
 *
 * assert.equal(parseCount("200k"), 200_000);
 * assert.equal(parseCount("1.5M"), 1_500_000);
 * assert.throws(() => parseCount("1.5"), RangeError); // not a whole number
 * ```
 *
 * @throws {RangeError} when the text is not a non-negative integer count
 */
export function parseCount(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)\s*$/i.exec(text);
  if (!m) throw new RangeError(`Cannot parse count "${text}": use e.g. 1000, 200k or 1M`);
  const scale = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase()] ?? 1;
  const n = Number(m[1]) * scale;
  if (!Number.isInteger(n)) {
    throw new RangeError(`Cannot parse count "${text}": not a whole number`);
  }
  return n;
}

/** Formats milliseconds as a short duration: `850ms`, `12.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
