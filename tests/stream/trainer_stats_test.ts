import assert from "node:assert/strict";
import { TrainerStats } from "../../src/stream/trainer_stats.ts";

Deno.test("TrainerStats splits the main thread's time from the first batch to the last", () => {
  let now = 1000;
  const stats = new TrainerStats(() => now);
  const reasons = ["max_events", "interval"];
  stats.closeReason = () => reasons.shift() ?? null;
  stats.waiting();
  now = 1500; // an idle start: not counted
  stats.arrived(0);
  stats.arrived(100); // batch 1 (max_events)
  now += 10;
  stats.add("post", 10, 0);
  stats.inFlight(1);
  stats.waiting();
  now += 30; // the next accumulates; the first is learnt meanwhile (20 of the 30 ms)
  stats.add("learn", 20, 100);
  stats.learntWhileIdle();
  stats.worker(15, 25, 5);
  stats.arrived(40); // batch 2 (interval): 10 ms of input wait
  now += 5;
  stats.add("learn", 5, 40);
  stats.waiting();
  now += 1000; // idle after the input: not counted
  const t = stats.totals();
  assert.equal(t.batches, 2);
  assert.equal(t.records, 140);
  assert.deepEqual(t.closes, { max_events: 1, interval: 1 });
  assert.equal(t.spanMs, 45);
  assert.deepEqual(t.phases, { input: 10, post: 10, waitRows: 0, featurize: 0, learn: 25 });
  assert.equal(t.workerMs, 15);
  assert.equal(t.workerBatches, 1);
  assert.equal(t.roundTripMs, 25);
  assert.equal(t.rowsWaitMs, 5);
  assert.match(
    stats.summary(),
    /per batch: 15\.0 ms featurizing, rows back 25\.0 ms after posting and learnt 5\.0 ms after that/,
  );
  assert.equal(t.maxInFlight, 1);
  assert.equal(t.learntWhileIdle, 1);
  assert.match(stats.summary(), /^pipeline: 2 batches of 140 records over 0\.0\d s/);
  assert.match(stats.summary(), /input 0\.01 s \(22%\)/);
});
