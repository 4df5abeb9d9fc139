/**
 * `learn`'s work per row without Kafka (issue 15): the feature log's records decoded
 * (`decodeRows`, without session ids, as `learn` does) into the learner's `RowBatch` and learnt
 * by a `LearnStage` (default feature set, default learner), micro-batch by micro-batch, as
 * `FeatureLogLearner.processBatch` does. The rows are real ones: generator events
 * (`SessionGenerator`, seed 5, spread over 6 partitions by session) through the
 * `FeaturizeStage`, packed by `packRows` in the checkout's own record format. Prints rows per
 * CPU-second and CPU-s per million rows of the timed passes (and the share of it in `decodeRows`) (featurizing and encoding are set up
 * before, outside the timing), and the records' bytes per row.
 *
 * `--src DIR` loads the code from another checkout's `src/` (a baseline in the same run:
 * alternate `--src /work/main/src` and this tree's, medians of 3). `--publish` also publishes the
 * served snapshot after every batch, as `learn` does (`SnapshotPublisher.publish` with a chart
 * point: the model copy, metrics, top purchasers), timed on its own too.
 *
 * The records sit in one buffer per 20,000 rows, one after the other with 61–67 bytes between
 * them, as a fetched response holds record values (at any alignment); `--aligned-records` gives
 * each record its own buffer instead (every one 8-aligned, as this bench had them before).
 *
 * ```sh
 * deno run -A bench/learn_rows.ts [--rows 2000000] [--batch 100000] [--src src] [--publish] [--aligned-records]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { learnRecords } from "./_learn_records.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "2000000" },
    batch: { type: "string", default: "100000" },
    src: { type: "string", default: new URL("../src", import.meta.url).pathname },
    publish: { type: "boolean", default: false },
    "aligned-records": { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows), BATCH = Number(values.batch);
for (const [name, v] of [["--rows", ROWS], ["--batch", BATCH]] as const) {
  if (!Number.isInteger(v) || v < 2000) throw new RangeError(`${name} must be ≥ 2000, got ${v}`);
}
const src = pathToFileURL(resolve(values.src!)).href;
const { featureRows } = await import(`${src}/stream/featurize_stage.ts`);
const { decodeRows } = await import(`${src}/stream/row_codec.ts`);
const { RowBatch } = await import(`${src}/stream/row_batch.ts`);
const { LearnStage } = await import(`${src}/stream/learn_stage.ts`);
const { DEFAULT_FEATURE_SET } = await import(`${src}/learn/feature_sets.ts`);
const { SnapshotPublisher } = await import(`${src}/stream/snapshot_publisher.ts`);

const schema = featureRows(DEFAULT_FEATURE_SET);
const { batches, ends, total, bytes } = await learnRecords(
  src,
  ROWS,
  BATCH,
  values["aligned-records"]!,
);

const stage = new LearnStage({ topic: "clicks", featureSet: DEFAULT_FEATURE_SET });
const into = new RowBatch(schema);
const publisher = values.publish ? new SnapshotPublisher({ topic: "clicks" }) : null;
const context = {
  broker: { healthy: true, reason: null, highWatermarks: new Map(ends.map((e, p) => [p, e])) },
  checkpoint: null,
  eventsPerSecond: 0,
};
let publishMs = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let decodeMs = 0;
for (const batch of batches) {
  into.clear();
  const d0 = performance.now();
  for (const record of batch) {
    decodeRows(record, into, { sessionIds: false });
  }
  decodeMs += performance.now() - d0;
  stage.complete(stage.learn(into));
  if (publisher !== null) {
    const p0 = performance.now();
    publisher.publish(stage, context, true);
    publishMs += performance.now() - p0;
  }
}
const wall = (performance.now() - t0) / 1000;
const used = process.cpuUsage(cpu0);
const cpu = (used.user + used.system) / 1e6;
if (stage.eventsTrained !== total) {
  throw new Error(`learnt ${stage.eventsTrained} of ${total} rows`);
}
const w = stage.learner.model.toJSON();
let sum = 0;
for (const x of JSON.stringify(w)) sum = (sum * 31 + x.charCodeAt(0)) >>> 0;
console.log(JSON.stringify({
  src: values.src,
  records: values["aligned-records"] ? "aligned" : "as fetched",
  rows: total,
  cpuSeconds: +cpu.toFixed(3),
  wallSeconds: +wall.toFixed(3),
  rowsPerCpuSecond: Math.round(total / cpu),
  cpuSecondsPerMillion: +(cpu / (total / 1e6)).toFixed(4),
  bytesPerRow: +(bytes / total).toFixed(1),
  /** Wall time in `decodeRows`, seconds per million rows (a single-threaded part of the CPU). */
  decodeSecondsPerMillion: +(decodeMs / 1000 / (total / 1e6)).toFixed(4),
  /** Wall time in `SnapshotPublisher.publish` (`--publish`), seconds per million rows. */
  publishSecondsPerMillion: +(publishMs / 1000 / (total / 1e6)).toFixed(4),
  topPurchasers: publisher === null ? null : publisher.snapshot.topPurchasers.length,
  modelHash: sum,
  load: Deno.loadavg(),
}));
