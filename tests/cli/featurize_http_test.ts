/**
 * `featurize`'s status server without Kafka: on 127.0.0.1, `/metrics` shows the starting view
 * until `publish`, then the featurizer's held partitions and totals as they are at that call.
 */
import assert from "node:assert/strict";
import { serveFeaturizerStatus } from "../../src/cli/featurize_http.ts";

Deno.test("publish replaces the view /metrics reads; close stops the server", async () => {
  const nexts = new Map([[2, 40]]);
  const totals = { emitted: 7, suppressed: 3, snapshots: 1, restored: 0 };
  const status = serveFeaturizerStatus({
    hostname: "127.0.0.1",
    port: 0,
    topic: "t",
    endOffsets: () => Promise.resolve([{ partition: 2, high: 50 }]),
    featurizer: { partitions: [...nexts.keys()], next: (p) => nexts.get(p)! },
    totals,
    snapshotAt: () => undefined,
  });
  try {
    assert.match(status.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const before = await (await fetch(`${status.url}/metrics`)).text();
    assert.match(before, /^clickstream_featurizer_partitions 0$/m);
    assert.match(before, /^clickstream_featurizer_rows_emitted_total 0$/m);
    status.publish();
    const after = await (await fetch(`${status.url}/metrics`)).text();
    assert.match(after, /^clickstream_featurizer_partitions 1$/m);
    assert.match(after, /^clickstream_featurizer_next_offset\{partition="2"\} 40$/m);
    assert.match(after, /^clickstream_featurizer_rows_emitted_total 7$/m);
    assert.match(after, /^clickstream_featurizer_snapshots_total 1$/m);
  } finally {
    await status.close();
  }
});
