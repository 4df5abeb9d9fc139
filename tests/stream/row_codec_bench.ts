/**
 * The feature log's record format: rows/s through `packRows` (encode) and `decodeRows` (decode)
 * for a batch of 10 000 rows of today's feature set, as `featurize` packs them (2000 rows per
 * record) and `learn` reads them back. Rows/s = iter/s × 10 000.
 *
 * @module
 */

import { Random } from "../../src/util/random.ts";
import { featureRows } from "../../src/stream/featurize_stage.ts";
import { decodeRows, packRows } from "../../src/stream/row_codec.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";

const N = 10_000;
const rows = new RowBatch(featureRows(), { capacity: N });
const random = new Random(5);
for (let i = 0; i < N; i++) {
  const r = rows.addEvent(
    i % 6,
    i,
    i % 4,
    0,
    1 + (i % 100_000),
    random.next().toString(36).slice(2, 12),
    1.76e9 + i,
  );
  const dense = rows.denseRow(r);
  for (let k = 0; k < dense.length; k++) dense[k] = random.next();
}
const records = packRows(rows);
const into = new RowBatch(featureRows(), { capacity: N });

Deno.bench({
  name: `encode: packRows of ${N} rows (${records.length} records)`,
  group: "row codec",
  baseline: true,
  fn() {
    if (packRows(rows).length !== records.length) throw new Error("unexpected record count");
  },
});

Deno.bench({
  name: `decode: decodeRows of ${N} rows into a reused RowBatch`,
  group: "row codec",
  fn() {
    into.clear();
    for (const record of records) decodeRows(record, into);
    if (into.length !== N) throw new Error("unexpected row count");
  },
});
