/**
 * `Math.log1p`, `Math.log` and `1 / k` of the small whole numbers the features take them of —
 * positions, counts of earlier events, gaps in whole seconds — from tables built once with the
 * same functions, so that a row costs array reads instead of up to eight calls of a logarithm:
 * for an integer `k` in `1 .. SMALL_LOG_LIMIT − 1` the table holds exactly the double the call
 * returns (the engine's `Math.log1p` and `Math.log` are deterministic functions of their
 * argument, and `1 / k` is correctly rounded), and every other argument — a fraction, a large
 * gap, a negative, `NaN` — goes to the call itself. `log1p(±0)` is `±0`, as `Math.log1p` gives
 * it. `tests/learn/small_logs_test.ts` holds each function to the call it stands for, bit for
 * bit, over the tables and past their edges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inverse, log, log1p } from "./small_logs.ts";
 *
 * assert.ok(Object.is(log1p(17), Math.log1p(17)));
 * assert.ok(Object.is(log1p(2.5), Math.log1p(2.5)));
 * assert.ok(Object.is(log(1e6), Math.log(1e6)));
 * assert.ok(Object.is(inverse(3), 1 / 3));
 * ```
 *
 * @module
 */

/** The tables' length: whole numbers below it are looked up. */
export const SMALL_LOG_LIMIT = 4096;

const LOG1P = Float64Array.from({ length: SMALL_LOG_LIMIT }, (_, i) => Math.log1p(i));
const LOG = Float64Array.from({ length: SMALL_LOG_LIMIT }, (_, i) => Math.log(i));
const INVERSE = Float64Array.from({ length: SMALL_LOG_LIMIT }, (_, i) => 1 / i);

/** `Math.log1p(x)`, bit for bit. */
export function log1p(x: number): number {
  if (x === 0) return x; // ±0, as Math.log1p(±0)
  return x > 0 && x < SMALL_LOG_LIMIT && (x | 0) === x ? LOG1P[x | 0] : Math.log1p(x);
}

/** `Math.log(x)`, bit for bit. */
export function log(x: number): number {
  return x >= 1 && x < SMALL_LOG_LIMIT && (x | 0) === x ? LOG[x | 0] : Math.log(x);
}

/** `1 / x`, bit for bit. */
export function inverse(x: number): number {
  return x >= 1 && x < SMALL_LOG_LIMIT && (x | 0) === x ? INVERSE[x | 0] : 1 / x;
}
