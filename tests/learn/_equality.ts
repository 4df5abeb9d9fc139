/**
 * Test and bench helper: how often two features of a set are equal — the measure of twins, which
 * split the model's weights arbitrarily between them. For every pair of a feature set's columns,
 * over a stream, the share of events on which the two values are equal (`Object.is`), except for
 * a pair of indicators — columns whose every value is 0 or 1, like the one-hot page classes —
 * where both being 0 says only that the event is of neither class, so the share counts the
 * events on which they are equal and at least one is 1 (0 for two classes of one one-hot, which
 * are never both 1). A column that never changes over the stream is reported as constant: the
 * standardizer gives it no weight.
 *
 * @module
 */

import type { WireEvent } from "../../src/events/wire.ts";
import type { FeatureSet } from "../../src/learn/feature_set.ts";
import { Featurizer } from "../../src/learn/features.ts";

/** One pair of features and how often they are equal. */
export interface EqualityPair {
  a: string;
  b: string;
  /** Share of events on which they are equal (see the module documentation). */
  share: number;
  /** Whether both are indicators (0/1 columns). */
  indicators: boolean;
}

/** The pairwise equality of a feature set's columns over a stream. */
export interface EqualityTable {
  set: string;
  events: number;
  /** Columns that never change over the stream. */
  constant: string[];
  /** Every pair of columns that both change, highest share first. */
  pairs: EqualityPair[];
}

/** Featurizes `events` with `set` (one session store, default bounds) and measures its pairs. */
export function equalityTable(set: FeatureSet, events: Iterable<WireEvent>): EqualityTable {
  const d = set.width;
  const f = new Featurizer({ featureSet: set });
  const row = new Float64Array(d);
  const first = new Float64Array(d);
  const varies = new Uint8Array(d);
  const binary = new Uint8Array(d).fill(1);
  const equal = new Float64Array(d * d), equalActive = new Float64Array(d * d);
  let n = 0;
  for (const e of events) {
    f.featurize(e, row);
    f.observe(e);
    if (n === 0) first.set(row);
    for (let i = 0; i < d; i++) {
      const x = row[i];
      if (!Object.is(x, first[i])) varies[i] = 1;
      if (x !== 0 && x !== 1) binary[i] = 0;
      for (let j = i + 1; j < d; j++) {
        if (Object.is(x, row[j])) {
          equal[i * d + j]++;
          if (x === 1) equalActive[i * d + j]++;
        }
      }
    }
    n++;
  }
  const pairs: EqualityPair[] = [];
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      if (!varies[i] || !varies[j]) continue;
      const indicators = binary[i] === 1 && binary[j] === 1;
      const share = (indicators ? equalActive[i * d + j] : equal[i * d + j]) / n;
      pairs.push({ a: set.names[i], b: set.names[j], share, indicators });
    }
  }
  pairs.sort((x, y) => y.share - x.share);
  return {
    set: set.name,
    events: n,
    constant: set.names.filter((_, i) => !varies[i]),
    pairs,
  };
}

/** The table as text: the pairs above `min`, then how many are below, then the constants. */
export function formatEquality(table: EqualityTable, min = 0.05): string {
  const shown = table.pairs.filter((p) => p.share >= min);
  const width = Math.max(10, ...shown.map((p) => p.a.length));
  const lines = [
    `feature set ${table.set}: ${table.events} events, ${table.pairs.length} pairs of changing features`,
    ...shown.map((p) =>
      `  ${p.a.padEnd(width)}  ${p.b.padEnd(width)}  ${(100 * p.share).toFixed(1).padStart(5)}%${
        p.indicators ? "  (indicators: equal and 1)" : ""
      }`
    ),
    `  ${table.pairs.length - shown.length} more pairs below ${(100 * min).toFixed(0)}%`,
  ];
  if (table.constant.length > 0) lines.push(`  constant: ${table.constant.join(", ")}`);
  return lines.join("\n");
}
