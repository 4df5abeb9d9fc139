/**
 * The value parsers the commands share, one per kind of value: counts, integers, durations,
 * byte sizes, fractions, listen addresses, and a choice (or a list of choices) among a
 * `readonly` list. Each is a {@linkcode FlagParser}: it takes the flag's text and name and
 * throws a `RangeError` whose message names the flag, which `ParsedFlags.value` turns
 * into a `UsageError` with the command's help.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duration, oneOf, parseListen, positiveInt } from "./values.ts";
 *
 * assert.equal(positiveInt("200k", "events"), 200_000);
 * assert.equal(duration("1.5s", "trigger"), 1500);
 * assert.equal(oneOf(["seed", "ftrl"] as const)("ftrl", "mode"), "ftrl");
 * assert.deepEqual(parseListen(":8080"), { hostname: "127.0.0.1", port: 8080 });
 * assert.throws(() => positiveInt("0", "count"), /--count must be ≥ 1, got 0/);
 * ```
 *
 * @module
 */

import type { FlagParser } from "./flags.ts";
import { parseBytes, parseCount, parseDuration } from "../util/units.ts";

function named<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    throw new RangeError(`--${flag}: ${(cause as Error).message}`, { cause });
  }
}

function atLeast(min: number, text: string, flag: string): number {
  const n = named(flag, () => parseCount(text));
  if (n < min) throw new RangeError(`--${flag} must be ≥ ${min}, got ${text}`);
  return n;
}

/** A count ≥ 1, with decimal suffixes: `10`, `200k`, `1M`. */
export function positiveInt(text: string, flag: string): number {
  return atLeast(1, text, flag);
}

/** A count ≥ 0, with decimal suffixes: `0`, `200k`, `1M`. */
export function nonNegativeInt(text: string, flag: string): number {
  return atLeast(0, text, flag);
}

/** A whole number of either sign, e.g. a seed: `42`, `-7`. */
export function integer(text: string, flag: string): number {
  const n = /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new RangeError(`--${flag} must be an integer, got "${text}"`);
  return n;
}

/** A duration in milliseconds: `100ms`, `2s`, `1.5m`, `1h` (a bare number is seconds). */
export function duration(text: string, flag: string): number {
  return named(flag, () => parseDuration(text));
}

/** A byte size: `5GB` (decimal), `512MiB` (binary), `1000`. */
export function byteSize(text: string, flag: string): number {
  return named(flag, () => parseBytes(text));
}

/** A byte size of at least one byte (see {@linkcode byteSize}). */
export function positiveByteSize(text: string, flag: string): number {
  const n = byteSize(text, flag);
  if (n < 1) throw new RangeError(`--${flag} must be at least 1 byte, got "${text}"`);
  return n;
}

/** A probability: a decimal number in 0..1, e.g. `0.05`. */
export function fraction(text: string, flag: string): number {
  const value = /^\s*\d*\.?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`--${flag} must be a number in 0..1, got "${text}"`);
  }
  return value;
}

/** The parser of one of `choices` (exactly as written). */
export function oneOf<T extends string>(choices: readonly T[]): FlagParser<T> {
  return (text, flag) => {
    if (!(choices as readonly string[]).includes(text)) {
      throw new RangeError(`--${flag} must be one of ${choices.join(", ")}, got "${text}"`);
    }
    return text as T;
  };
}

/** The parser of a comma-separated, non-empty list of `choices`, e.g. `seed,ftrl`. */
export function listOf<T extends string>(choices: readonly T[]): FlagParser<T[]> {
  const one = oneOf(choices);
  return (text, flag) => {
    const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (items.length === 0) {
      throw new RangeError(`--${flag} needs at least one of ${choices.join(", ")}`);
    }
    return items.map((item) => one(item, flag));
  };
}

/** Where an HTTP server listens. */
export interface ListenConfig {
  /** The host name or address. */
  hostname: string;
  /** The TCP port. */
  port: number;
}

/**
 * Parses `host:port` (or `:port`, or a bare port) into a listen address; default host 127.0.0.1.
 * @throws {RangeError} naming the text when it is not an address
 */
export function parseListen(text: string): ListenConfig {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new RangeError(
      `Cannot parse listen address "${text}": use host:port, e.g. 127.0.0.1:8080`,
    );
  }
  return { hostname: m[1] || "127.0.0.1", port };
}

/** A listen address ({@linkcode parseListen}). */
export function listen(text: string, flag: string): ListenConfig {
  return named(flag, () => parseListen(text));
}
