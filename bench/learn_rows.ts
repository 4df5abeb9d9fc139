/**
 * `learn`'s work per row without Kafka (issue 15): the feature log's records decoded
 * (`decodeRows`) into the learner's `RowBatch` and learnt by a `LearnStage` (default feature
 * set, sparse url bucket per row, default learner), micro-batch by micro-batch, as
 * `FeatureLogLearner.processBatch` does. Prints rows per CPU-second and CPU-s per million rows
 * of the timed passes (the encoding is set up before, outside the timing).
 *
 * `--src DIR` loads the code from another checkout's `src/` (a baseline in the same run:
 * alternate `--src /work/main/src` and this tree's, medians of 3).
 *
 * ```sh
 * deno run -A bench/learn_rows.ts [--rows 2000000] [--batch 20000] [--src src]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "2000000" },
    batch: { type: "string", default: "20000" },
    src: { type: "string", default: new URL("../src", import.meta.url).pathname },
  },
});
const ROWS = Number(values.rows), BATCH = Number(values.batch);
for (const [name, v] of [["--rows", ROWS], ["--batch", BATCH]] as const) {
  if (!Number.isInteger(v) || v < 2000) throw new RangeError(`${name} must be ≥ 2000, got ${v}`);
}
const src = pathToFileURL(resolve(values.src!)).href;
const { Random } = await import(`${src}/util/random.ts`);
const { featureRows } = await import(`${src}/stream/featurize_stage.ts`);
const { decodeRows, packRows } = await import(`${src}/stream/row_codec.ts`);
const { RowBatch } = await import(`${src}/stream/row_batch.ts`);
const { LearnStage } = await import(`${src}/stream/learn_stage.ts`);
const { DEFAULT_FEATURE_SET } = await import(`${src}/learn/feature_sets.ts`);

const schema = featureRows(DEFAULT_FEATURE_SET);
const rows = new RowBatch(schema, { capacity: ROWS });
const random = new Random(5);
for (let i = 0; i < ROWS; i++) {
  const r = rows.addEvent(
    i % 6,
    Math.floor(i / 6),
    random.next() < 0.03 ? 3 : Math.floor(random.next() * 3),
    0,
    1 + (i % 100_000),
    `s${i % 50_000}`,
    1.76e9 + i,
  );
  const dense = rows.denseRow(r);
  for (let k = 0; k < dense.length; k++) dense[k] = random.next();
  if (schema.sparseWidth > 0) {
    rows.addSparse(Math.floor(random.next() * schema.sparseWidth), random.next() < 0.5 ? 1 : -1);
  }
}
const records: Uint8Array[] = packRows(rows);
const perBatch = Math.max(1, Math.round(BATCH / 2000));

const stage = new LearnStage({ topic: "clicks", featureSet: DEFAULT_FEATURE_SET });
const into = new RowBatch(schema);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let r = 0; r < records.length; r += perBatch) {
  into.clear();
  for (const record of records.slice(r, r + perBatch)) decodeRows(record, into);
  stage.complete(stage.learn(into));
}
const wall = (performance.now() - t0) / 1000;
const used = process.cpuUsage(cpu0);
const cpu = (used.user + used.system) / 1e6;
if (stage.eventsTrained !== ROWS) throw new Error(`learnt ${stage.eventsTrained} of ${ROWS} rows`);
const w = stage.learner.model.toJSON();
let sum = 0;
for (const x of JSON.stringify(w)) sum = (sum * 31 + x.charCodeAt(0)) >>> 0;
console.log(JSON.stringify({
  src: values.src,
  rows: ROWS,
  cpuSeconds: +cpu.toFixed(3),
  wallSeconds: +wall.toFixed(3),
  rowsPerCpuSecond: Math.round(ROWS / cpu),
  cpuSecondsPerMillion: +(cpu / (ROWS / 1e6)).toFixed(4),
  modelHash: sum,
  load: Deno.loadavg(),
}));
