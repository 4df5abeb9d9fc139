/**
 * The generator's events as River reads them, one JSON line per event, for `bench/river.ts`:
 *
 * ```json
 * {"x":{"log1p_position":0.693,"inv_position":0.5,…},"y":0,"p":0.0734}
 * ```
 *
 * `x` holds the features our trainer learns from for the event — computed by the trainer's own
 * featurize code path (a {@linkcode Featurizer} of the feature set writing rows into a
 * {@linkcode FeatureBatch}, what `Learner.learn` does), keyed by the set's feature names in row
 * order, then the row's sparse part (a set with hashed url buckets, `urlBuckets`) as `"h<i>"`
 * keys, bucket `i` with its value ±1 —, `y` the label (1: a purchase) and `p` the generator's exact purchase probability of
 * the event (for the Bayes log loss). The events are those of `quality`: `createGenerator` of
 * the profile and seed, no drift. Numbers are written by `JSON.stringify` (the shortest string
 * that reads back as the same double), so Python's `json` reads exactly the values our learner
 * saw.
 *
 * ```ts
 * import { exportChunks } from "./export.ts";
 * for (const chunk of exportChunks({ profile: "funnel", featureSet: "fields", events: 1000 })) {
 *   await file.write(new TextEncoder().encode(chunk));
 * }
 * ```
 *
 * @module
 */

import { createGenerator } from "../../src/generator/create_generator.ts";
import type { Profile } from "../../src/generator/generator.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import type { FeatureSet } from "../../src/learn/feature_set.ts";
import { featureSet as featureSetNamed } from "../../src/learn/feature_sets.ts";
import { Featurizer } from "../../src/learn/features.ts";

/** Options of {@linkcode exportChunks}. */
export interface ExportOptions {
  /** The generator profile. */
  profile: Profile;
  /** The feature set, by name or as the set. */
  featureSet: string | FeatureSet;
  /** Events to export. */
  events: number;
  /**
   * Generator seed.
   *
   * @default {42}
   */
  seed?: number;
  /**
   * Events per chunk (one string per chunk).
   *
   * @default {10000}
   */
  chunkSize?: number;
}

/** A feature value that JSON cannot carry (`NaN`, `±Infinity`). */
export class ExportError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

/** A row's sparse part: `value[k]` at bucket `index[k]`, for `k` in `from .. to`. */
export interface SparsePart {
  /** Bucket indices. */
  index: ArrayLike<number>;
  /** Their values. */
  value: ArrayLike<number>;
  /** First entry of the row. */
  from: number;
  /** End (exclusive) of the row's entries. */
  to: number;
}

/**
 * The JSON line (without its newline) of one event whose features are
 * `row[offset .. offset + names.length)`, named `names`, plus the sparse part `sparse` as
 * `"h<i>"` keys when given, with label `label` and true probability `truth`.
 *
 * @throws {ExportError} naming the feature and the value when a value is not finite
 */
export function eventLine(
  names: readonly string[],
  row: Float64Array,
  offset: number,
  label: number,
  truth: number,
  sparse?: SparsePart,
): string {
  let x = "";
  for (let j = 0; j < names.length; j++) {
    const v = row[offset + j];
    if (!Number.isFinite(v)) {
      throw new ExportError(`Cannot export feature ${names[j]} = ${v}: JSON has no such number.`);
    }
    x += `${j === 0 ? "" : ","}${JSON.stringify(names[j])}:${JSON.stringify(v)}`;
  }
  if (sparse !== undefined) {
    for (let k = sparse.from; k < sparse.to; k++) {
      const v = sparse.value[k];
      if (!Number.isFinite(v)) {
        throw new ExportError(
          `Cannot export feature h${sparse.index[k]} = ${v}: JSON has no such number.`,
        );
      }
      x += `${x === "" ? "" : ","}"h${sparse.index[k]}":${JSON.stringify(v)}`;
    }
  }
  if (!Number.isFinite(truth)) {
    throw new ExportError(`Cannot export true probability ${truth}: expected a number in [0, 1].`);
  }
  return `{"x":{${x}},"y":${label},"p":${JSON.stringify(truth)}}`;
}

/**
 * The events of `options.profile` and `options.seed` as JSON lines, `chunkSize` events per
 * string, each line ending with `\n`.
 *
 * @throws {RangeError} naming the value when `events` or `chunkSize` is not a positive integer
 *   (or the feature set's name is unknown)
 * @throws {ExportError} when a feature value is not finite
 */
export function* exportChunks(options: ExportOptions): Generator<string> {
  const { profile, events } = options;
  const seed = options.seed ?? 42;
  const chunkSize = options.chunkSize ?? 10_000;
  for (const [name, v] of [["events", events], ["chunkSize", chunkSize]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot export with ${name} ${v}: expected a positive integer.`);
    }
  }
  const set = typeof options.featureSet === "string"
    ? featureSetNamed(options.featureSet)
    : options.featureSet;
  const gen = createGenerator(profile, { seed });
  const featurizer = new Featurizer({ featureSet: set });
  const batch = new FeatureBatch(set.width, {
    capacity: chunkSize,
    sparseWidth: set.urlBuckets ?? 0,
  });
  const names = set.names, width = set.width, sparse = batch.sparseWidth > 0;
  for (let done = 0; done < events;) {
    const n = Math.min(chunkSize, events - done);
    batch.clear();
    for (let i = 0; i < n; i++) {
      featurizer.push(gen.next(), batch);
      batch.truth[i] = gen.probability;
    }
    const lines: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let part: SparsePart | undefined;
      if (sparse) {
        const [from, to] = batch.sparseExtent(i);
        part = { index: batch.sparseIndex, value: batch.sparseValue, from, to };
      }
      lines[i] = eventLine(names, batch.rows, i * width, batch.labels[i], batch.truth[i], part);
    }
    yield lines.join("\n") + "\n";
    done += n;
  }
}

/**
 * Writes {@linkcode exportChunks} of `options` to the file `path` (created or truncated).
 * Returns the bytes written.
 */
export async function exportToFile(options: ExportOptions, path: string): Promise<number> {
  const encoder = new TextEncoder();
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let bytes = 0;
  for (const chunk of exportChunks(options)) {
    const data = encoder.encode(chunk);
    for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
    bytes += data.length;
  }
  return bytes;
}
