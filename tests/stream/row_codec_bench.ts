/**
 * The feature log's record format: rows/s through `packRows` (encode) and `decodeRows` (decode)
 * for a batch of 10 000 rows of today's feature set, featurized from generator events as
 * `featurize` computes them, packed as it packs them (by the record bounds' defaults) and read
 * back as `learn` reads them (without session ids), in format versions 1 and 2. Rows/s = iter/s
 * × 10 000.
 *
 * @module
 */

import { encodeEvent } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { featureRows, FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { decodeRows, packRows, ROW_FORMAT_VERSIONS } from "../../src/stream/row_codec.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import type { SourceRecord } from "../../src/stream/records.ts";

const N = 10_000;
const generator = new SessionGenerator({ seed: 5 });
const source: SourceRecord[] = Array.from({ length: N }, (_, i) => ({
  topic: "clicks",
  partition: 0,
  offset: i,
  key: null,
  value: encodeEvent(generator.next()),
}));
const rows = new RowBatch(featureRows(), { capacity: N });
new FeaturizeStage().featurize(source, rows);
if (rows.length !== N) throw new Error(`featurized ${rows.length} rows of ${N}`);
const into = new RowBatch(featureRows(), { capacity: N });

for (const version of ROW_FORMAT_VERSIONS) {
  const records = packRows(rows, { version });
  const bytes = records.reduce((n, r) => n + r.byteLength, 0);
  Deno.bench({
    name: `encode v${version}: packRows of ${N} rows (${records.length} records, ${
      Math.round(bytes / N)
    } bytes a row)`,
    group: "encode",
    baseline: version === 1,
    fn() {
      if (packRows(rows, { version }).length !== records.length) {
        throw new Error("unexpected record count");
      }
    },
  });
  Deno.bench({
    name: `decode v${version}: decodeRows of ${N} rows into a reused RowBatch, no session ids`,
    group: "decode",
    baseline: version === 1,
    fn() {
      into.clear();
      for (const record of records) decodeRows(record, into, { sessionIds: false });
      if (into.length !== N) throw new Error("unexpected row count");
    },
  });
}
