import assert from "node:assert/strict";
import { type SourceRecord, Trainer } from "../../src/stream/trainer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { formatBatchReport } from "../../src/stream/report.ts";

const enc = new TextEncoder();

function records(n: number, options: { seed?: number; partition?: number; from?: number } = {}) {
  const g = new SessionGenerator({ seed: options.seed ?? 3 });
  const out: SourceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const e = g.next();
    out.push({
      topic: "t",
      partition: options.partition ?? 0,
      offset: (options.from ?? 0) + i,
      key: enc.encode(e.session_id),
      value: encodeEvent(e),
    });
  }
  return out;
}

function chunks<T>(items: T[], sizes: number[]): T[][] {
  const out: T[][] = [];
  let i = 0, k = 0;
  while (i < items.length) {
    const size = sizes[k++ % sizes.length];
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

Deno.test("Trainer gives bitwise-identical weights whatever the batch boundaries (adagrad)", async () => {
  const input = records(5000);
  const weights: number[][] = [];
  for (const sizes of [[5000], [1], [7, 300, 1, 999], [2500]]) {
    const trainer = new Trainer({ topic: "t", learner: { mode: "adagrad" } });
    for (const batch of chunks(input, sizes)) await trainer.processBatch(batch);
    assert.equal(trainer.snapshot.eventsTrained, 5000);
    weights.push([...trainer.snapshot.weights, trainer.snapshot.intercept]);
  }
  for (const w of weights.slice(1)) assert.deepEqual(w, weights[0]);
});

Deno.test("Trainer counts bad records by reason, trains the rest and never stops", async () => {
  const good = records(100);
  const bad: SourceRecord[] = [
    { topic: "t", partition: 0, offset: 100, key: null, value: enc.encode("nope") },
    { topic: "t", partition: 0, offset: 101, key: null, value: null },
    {
      topic: "t",
      partition: 0,
      offset: 102,
      key: null,
      value: enc.encode(
        '{"user_id":1,"url":"/a","action":"jump","session_id":"s","timestamp":1764080412}',
      ),
    },
  ];
  const outputs: number[] = [];
  const trainer = new Trainer({
    topic: "t",
    sideOutputs: (o) => {
      outputs.push(o.deadLetters.length);
      return Promise.resolve();
    },
  });
  await trainer.processBatch([...good, ...bad]);
  const s = trainer.snapshot;
  assert.equal(s.eventsTrained, 100);
  assert.deepEqual({ ...s.badRecords }, { not_json: 2, unknown_action: 1 });
  assert.deepEqual(outputs, [3]);
  assert.deepEqual(trainer.offsets, [{ topic: "t", partition: 0, offset: 103 }]);
});

Deno.test("Trainer skips records its state already covers and counts them", async () => {
  const input = records(1000);
  const first = new Trainer({ topic: "t" });
  await first.processBatch(input.slice(0, 600));
  const resumed = new Trainer({ topic: "t", restore: JSON.parse(JSON.stringify(first.state())) });
  await resumed.processBatch(input); // redelivery from offset 0
  const straight = new Trainer({ topic: "t" });
  await straight.processBatch(input);
  assert.equal(resumed.snapshot.skippedRecords, 600);
  assert.equal(resumed.snapshot.eventsTrained, 1000);
  assert.deepEqual(resumed.snapshot.weights, straight.snapshot.weights);
  assert.equal(resumed.snapshot.intercept, straight.snapshot.intercept);
});

Deno.test("Trainer neither moves its offsets nor goes on when the side outputs fail", async () => {
  const trainer = new Trainer({
    topic: "t",
    sideOutputs: () => Promise.reject(new Error("dead-letter topic unreachable")),
  });
  await assert.rejects(() => trainer.processBatch(records(10)), /unreachable/);
  assert.deepEqual(trainer.offsets, []);
  assert.equal(trainer.snapshot.eventsTrained, 0);
  await assert.rejects(() => trainer.processBatch(records(10)), /restart from the checkpoint/);
});

Deno.test("Trainer publishes frozen snapshots whose predict() uses the model of that moment", async () => {
  const trainer = new Trainer({ topic: "t" });
  const input = records(3000);
  await trainer.processBatch(input.slice(0, 1000));
  const before = trainer.snapshot;
  const session = [
    { user_id: 1, url: "/a?x", action: "view" as const, session_id: "s", timestamp: 1764000000 },
    { user_id: 1, url: "/a?y", action: "view" as const, session_id: "s", timestamp: 1764000005 },
  ];
  const p1 = before.predict(session);
  await trainer.processBatch(input.slice(1000));
  assert.deepEqual(before.predict(session), p1);
  assert.notDeepEqual(trainer.snapshot.weights, before.weights);
  assert.ok(Object.isFrozen(before));
  assert.ok(Object.isFrozen(before.weights));
  assert.equal(p1.length, 2);
  for (const p of p1) assert.ok(p > 0 && p < 1);
});

Deno.test("Trainer carries out admin commands between batches", async (t) => {
  await t.step("reset forgets the model but keeps the offsets", async () => {
    const trainer = new Trainer({ topic: "t" });
    await trainer.processBatch(records(500));
    const pending = trainer.admin({ type: "reset" });
    await trainer.processBatch([]); // an empty interval drains the queue
    const result = await pending;
    assert.equal(result.ok, true);
    assert.equal(trainer.snapshot.updates, 0);
    assert.deepEqual(trainer.offsets, [{ topic: "t", partition: 0, offset: 500 }]);
  });
  await t.step("checkpoint without a state directory is refused", async () => {
    const trainer = new Trainer({ topic: "t" });
    const pending = trainer.admin({ type: "checkpoint" });
    await trainer.processBatch([]);
    assert.equal((await pending).ok, false);
  });
  await t.step("checkpoint runs the hook with force and records its time", async () => {
    const calls: boolean[] = [];
    const trainer = new Trainer({
      topic: "t",
      clock: { now: () => 42_000 },
      checkpoint: (_state, force) => {
        calls.push(force);
        return Promise.resolve(force ? 41_000 : null);
      },
    });
    await trainer.processBatch(records(10));
    const pending = trainer.admin({ type: "checkpoint" });
    await trainer.processBatch([]);
    assert.equal((await pending).ok, true);
    assert.deepEqual(calls, [false, true]);
    assert.deepEqual(trainer.snapshot.checkpoint, { batchId: 0, time: 41_000 });
  });
});

Deno.test("formatBatchReport() prints the original's layout with baselines beside the figures", async () => {
  const trainer = new Trainer({ topic: "t" });
  await trainer.processBatch(records(2000));
  const text = formatBatchReport(trainer.snapshot, { includePurchasers: true });
  assert.match(text, /^=+\nBatch 0 \| events: 2,000 \| model update #2,000 \| mode: adagrad\n=+/);
  for (
    const label of [
      "accuracy",
      "majority baseline",
      "log loss",
      "constant-rate baseline",
      "ROC AUC",
    ]
  ) {
    assert.match(text, new RegExp(label));
  }
  assert.match(text, /log_position +[-+]\d\.\d{4}/);
  assert.match(text, /__intercept__ +[-+]\d\.\d{4} \(baseline p=0\.\d{3}\)/);
  assert.match(text, /Top \d+ purchasers/);
});
