import assert from "node:assert/strict";
import { DEFAULT_FEATURE_SET } from "../../src/learn/feature_sets.ts";
import { featureRows } from "../../src/stream/featurize_stage.ts";
import { LearnStage } from "../../src/stream/learn_stage.ts";
import { ACTION_PURCHASE, actionCode, RowBatch } from "../../src/stream/row_batch.ts";
import { SnapshotPublisher } from "../../src/stream/snapshot_publisher.ts";

const context = {
  broker: { healthy: true, reason: null, highWatermarks: new Map([[0, 50]]) },
  checkpoint: null,
  eventsPerSecond: 0,
};

function rows(from: number, n: number): RowBatch {
  const out = new RowBatch(featureRows(DEFAULT_FEATURE_SET));
  for (let i = 0; i < n; i++) {
    const purchase = (from + i) % 4 === 0;
    const r = out.addEvent(
      0,
      from + i,
      purchase ? ACTION_PURCHASE : actionCode("view"),
      purchase ? 5 : 0,
      1 + (i % 3),
      "s",
      1_764_000_000 + i,
    );
    out.denseRow(r).fill((from + i) % 5);
    out.addSparse((from + i) % 30, purchase ? 1 : -1); // 30 url buckets in use
  }
  return out;
}

Deno.test("SnapshotPublisher reuses the model copy, metrics and rankings until the learn stage changes", () => {
  let now = 1000;
  const publisher = new SnapshotPublisher({ topic: "t", clock: { now: () => now } });
  const stage = new LearnStage({ topic: "t" });
  stage.complete(stage.learn(rows(0, 20)));
  const first = publisher.publish(stage, context, true);
  now = 2000;
  const idle = publisher.publish(stage, {
    ...context,
    broker: { ...context.broker, healthy: false, reason: "away" },
  });
  assert.notEqual(idle, first);
  assert.equal(idle.time, 2000);
  assert.equal(idle.healthy, false);
  assert.equal(idle.predict, first.predict, "the same frozen model");
  assert.equal(idle.topPurchasers, first.topPurchasers, "the same ranking");
  assert.equal(idle.cumulative, first.cumulative, "the same metrics summary");
  assert.equal(idle.history, first.history);
  assert.equal(first.history.length, 1);
  assert.equal(first.lag, 30);

  stage.complete(stage.learn(rows(20, 20)));
  const next = publisher.publish(stage, context, true);
  assert.notEqual(next.predict, first.predict);
  assert.notEqual(next.cumulative, first.cumulative);
  assert.equal(next.cumulative.events, 40);
  assert.equal(next.history.length, 2);
  assert.equal(next.lag, 10);
  const session = [{
    user_id: 1,
    url: "/a",
    action: "view" as const,
    session_id: "x",
    timestamp: 1_764_000_000,
  }];
  assert.deepEqual(
    first.predict(session),
    idle.predict(session),
    "an old snapshot keeps its model",
  );
  assert.ok(
    Object.isFrozen(next) && Object.isFrozen(next.history) && Object.isFrozen(next.weights),
  );
});

Deno.test("SnapshotPublisher keeps at most historyLimit points, and reset() forgets them", () => {
  const publisher = new SnapshotPublisher({ topic: "t", historyLimit: 3 });
  const stage = new LearnStage({ topic: "t" });
  for (let b = 0; b < 5; b++) {
    stage.complete(stage.learn(rows(b * 10, 10)));
    publisher.publish(stage, context, true);
  }
  assert.deepEqual(publisher.snapshot.history.map((p) => p.batchId), [2, 3, 4]);
  publisher.reset();
  assert.deepEqual(publisher.publish(stage, context).history, []);
});

Deno.test("SnapshotPublisher: the snapshot and each history point carry the 20 largest url buckets, not all", () => {
  const publisher = new SnapshotPublisher({ topic: "t", clock: { now: () => 1000 } });
  const stage = new LearnStage({ topic: "t" });
  stage.complete(stage.learn(rows(0, 300)));
  const s = publisher.publish(stage, context, true);
  const all = stage.learner.model.topSparse(4096);
  assert.equal(all.length, 30, "30 buckets learnt");
  assert.deepEqual(s.topBuckets, all.slice(0, 20));
  assert.deepEqual(s.history.at(-1)!.topBuckets, all.slice(0, 20));
  for (let k = 1; k < 20; k++) {
    assert.ok(Math.abs(s.topBuckets![k - 1].weight) >= Math.abs(s.topBuckets![k].weight));
  }
});
