import assert from "node:assert/strict";
import { FeaturizeWorker, FeaturizeWorkerError } from "../../src/stream/featurize_worker_client.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { featureRows } from "../../src/stream/featurize_stage.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import type { SourceRecord } from "../../src/stream/records.ts";

function records(n: number): SourceRecord[] {
  const g = new SessionGenerator({ seed: 2 });
  return Array.from({ length: n }, (_, i) => ({
    topic: "t",
    partition: 0,
    offset: i,
    key: null,
    value: encodeEvent(g.next()),
  }));
}

Deno.test("FeaturizeWorker answers in order: rows, then the stores as of them", async () => {
  const set = featureSet("session");
  const worker = new FeaturizeWorker({ featureSet: set });
  try {
    const first = worker.featurize(records(300));
    const state = worker.state();
    const second = worker.featurize(records(300).map((r) => ({ ...r, offset: r.offset + 300 })));
    const rows = new RowBatch(featureRows(set));
    const a = (await first).into(rows);
    assert.equal(rows.length, 300);
    assert.equal(a.skipped, 0);
    const stores = await state;
    assert.deepEqual(stores.partitions.map((p) => p.next), [300]);
    (await second).into(rows);
    assert.equal(rows.length, 300);
    assert.equal(rows.offset[0], 300);
  } finally {
    worker.close();
  }
});

Deno.test("FeaturizeWorker fails every request, pending or later, when the worker fails uncaught", async () => {
  const worker = new FeaturizeWorker({
    featureSet: featureSet("session"),
    module: new URL("./_failing_featurize_worker.ts", import.meta.url),
  });
  try {
    const isFailure = (e: unknown) =>
      e instanceof FeaturizeWorkerError && /fails as it loads/.test(e.message);
    await assert.rejects(worker.featurize(records(10)), isFailure);
    await assert.rejects(worker.state(), isFailure);
    assert.equal(worker.pending, 0);
  } finally {
    worker.close();
  }
});
