/**
 * `bench/learn_rows.ts` for an A/B of checkouts whose difference is within the noise of separate
 * runs on a loaded machine: the same records (built once, by the first `--src`'s code) are
 * decoded and learnt by one `LearnStage` per `--src` checkout in ONE process, batch by batch in
 * turn (the order rotated each batch), each batch's CPU (`process.cpuUsage`) counted to its
 * checkout. Prints each checkout's CPU-s per million rows per round, their medians and ratio to
 * the first, the load average, and a hash of each one's model, metrics, top purchasers and
 * purchases, which must be equal. `--publish` publishes the served snapshot after every batch, as
 * `learn` does. (The checkouts share one heap: a collection is counted to whichever batch it fell
 * in, the same for both in the long run.)
 *
 * ```sh
 * deno run -A bench/learn_rows_alternated.ts --src /work/base/src,src [--rows 2000000]
 *                                            [--batch 100000] [--rounds 5] [--publish]
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
    src: {
      type: "string",
      default: new URL("../src", import.meta.url).pathname,
    },
    publish: { type: "boolean", default: false },
    rounds: { type: "string", default: "5" },
    "aligned-records": { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows), BATCH = Number(values.batch), ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new RangeError(`--rounds must be an integer ≥ 1, got ${values.rounds}`);
}
for (const [name, v] of [["--rows", ROWS], ["--batch", BATCH]] as const) {
  if (!Number.isInteger(v) || v < 2000) throw new RangeError(`${name} must be ≥ 2000, got ${v}`);
}
const srcs = values.src!.split(",").map((s) => pathToFileURL(resolve(s)).href);
const { batches, ends, total } = await learnRecords(
  srcs[0],
  ROWS,
  BATCH,
  values["aligned-records"]!,
);
const checkouts = await Promise.all(srcs.map(async (s) => ({
  LearnStage: (await import(`${s}/stream/learn_stage.ts`)).LearnStage,
  RowBatch: (await import(`${s}/stream/row_batch.ts`)).RowBatch,
  decodeRows: (await import(`${s}/stream/row_codec.ts`)).decodeRows,
  SnapshotPublisher: (await import(`${s}/stream/snapshot_publisher.ts`)).SnapshotPublisher,
  featureSet: (await import(`${s}/learn/feature_sets.ts`)).DEFAULT_FEATURE_SET,
  featureRows: (await import(`${s}/stream/featurize_stage.ts`)).featureRows,
})));
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const context = {
  broker: { healthy: true, reason: null, highWatermarks: new Map(ends.map((e, p) => [p, e])) },
  checkpoint: null,
  eventsPerSecond: 0,
};
const perMillion: number[][] = srcs.map(() => []);
const hashes: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const runs = checkouts.map((c) => ({
    c,
    stage: new c.LearnStage({ topic: "clicks", featureSet: c.featureSet }),
    into: new c.RowBatch(c.featureRows(c.featureSet)),
    publisher: values.publish ? new c.SnapshotPublisher({ topic: "clicks" }) : null,
    cpu: 0,
  }));
  batches.forEach((batch, b) => {
    for (let q = 0; q < runs.length; q++) {
      const run = runs[(q + b + round) % runs.length];
      const t0 = cpuSeconds();
      run.into.clear();
      for (const record of batch) run.c.decodeRows(record, run.into, { sessionIds: false });
      run.stage.complete(run.stage.learn(run.into));
      if (run.publisher !== null) run.publisher.publish(run.stage, context, true);
      run.cpu += cpuSeconds() - t0;
    }
  });
  runs.forEach((run, k) => {
    if (run.stage.eventsTrained !== total) {
      throw new Error(`${srcs[k]} learnt ${run.stage.eventsTrained} of ${total} rows`);
    }
    perMillion[k].push(run.cpu / (total / 1e6));
    const learnt = JSON.stringify([
      run.stage.learner.model.toJSON(),
      run.stage.learner.snapshot(),
      run.stage.purchases.top(1000),
      run.stage.purchases.toJSON(),
    ]);
    let sum = 0;
    for (let i = 0; i < learnt.length; i++) sum = (sum * 31 + learnt.charCodeAt(i)) >>> 0;
    hashes[k] = sum;
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
console.log(
  `learn CPU-s per million rows, ${total} rows, checkouts alternated per batch in one process, ` +
    `${ROUNDS} rounds, publish ${values.publish}, load ${load}`,
);
console.log("| checkout | median | ratio | rounds | hash |");
console.log("| --- | --: | --: | --- | --- |");
const names = values.src!.split(",");
checkouts.forEach((_, k) => {
  const m = median(perMillion[k]);
  console.log(
    `| ${names[k]} | ${m.toFixed(4)} | ${(m / median(perMillion[0])).toFixed(3)} | ${
      perMillion[k].map((x) => x.toFixed(3)).join(" ")
    } | ${hashes[k]} |`,
  );
});
