/**
 * The endpoints of `featurize` over a view: `/healthz` says 200 or 503 with the reason, and
 * `/metrics` shows the held partitions, their lag and snapshot age, and the totals, in the
 * Prometheus text format.
 */
import assert from "node:assert/strict";
import {
  createFeaturizeHandler,
  type FeaturizerView,
  STARTING_VIEW,
} from "../../src/http/featurize_metrics.ts";
import { promtoolCheck } from "../_helpers/promtool.ts";

const get = (path: string) => new Request(`http://127.0.0.1${path}`);

Deno.test("featurize /healthz: 200 while healthy, 503 with the reason otherwise", async () => {
  let view: FeaturizerView = STARTING_VIEW;
  const handle = createFeaturizeHandler({ view: () => view });
  const ok = await handle(get("/healthz"));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: "ok", reason: null, partitions: [] });
  view = { ...view, healthy: false, reason: "the input's end offsets are 31 s old" };
  const bad = await handle(get("/healthz"));
  assert.equal(bad.status, 503);
  assert.match((await bad.json()).reason, /31 s old/);
  assert.equal((await handle(get("/nope"))).status, 404);
  assert.equal(
    (await handle(new Request("http://127.0.0.1/metrics", { method: "POST" }))).status,
    405,
  );
});

Deno.test("featurize /metrics: partitions, lag, snapshot age and totals", async () => {
  const view: FeaturizerView = {
    ...STARTING_VIEW,
    partitions: [
      { partition: 1, next: 700, end: 1000, snapshotAt: 40_000 },
      { partition: 4, next: 50, end: NaN, snapshotAt: NaN },
    ],
    emitted: 1234,
    suppressed: 56,
    snapshots: 7,
    restored: 2,
  };
  const handle = createFeaturizeHandler({ view: () => view, now: () => 45_500 });
  const res = await handle(get("/metrics"));
  assert.equal(res.status, 200);
  const text = await res.text();
  const line = (s: string) => assert.ok(text.split("\n").includes(s), `${s} in:\n${text}`);
  line("clickstream_featurizer_partitions 2");
  line("clickstream_featurizer_healthy 1");
  line('clickstream_featurizer_lag_records{partition="1"} 300');
  line('clickstream_featurizer_lag_records{partition="4"} NaN');
  line('clickstream_featurizer_next_offset{partition="4"} 50');
  line('clickstream_featurizer_snapshot_age_seconds{partition="1"} 5.5');
  line('clickstream_featurizer_snapshot_age_seconds{partition="4"} NaN');
  line("clickstream_featurizer_rows_emitted_total 1234");
  line("clickstream_featurizer_rows_suppressed_total 56");
  line("clickstream_featurizer_snapshots_total 7");
  line("clickstream_featurizer_restored_total 2");
  const check = await promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
});
