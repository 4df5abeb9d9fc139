/**
 * `EventConsumer`'s read-ahead (`readAhead`) on the real broker: kafkajs fetches the next batch
 * while the loop body still holds a record of the last (and does not without read-ahead), every
 * record comes once and in order per partition through seeks, and a member that loses
 * partitions in a rebalance, with batches read ahead, yields nothing more of them while the group
 * between its members still gets every record once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { withDeadline } from "../../src/util/deadline.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";
import { drain, fetchRounds, makeEvents, take } from "./_collect.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const key = (r: { partition: number; offset: number }) => `${r.partition}:${r.offset}`;

/** A topic of `n` events in producer batches of 100, so that small fetches make many batches. */
async function filledTopic(name: string, partitions: number, n: number) {
  const topic = await createTestTopic(brokers, name, { partitions });
  const client = testClient(brokers);
  await using producer = await EventProducer.connect(client, {
    topic: topic.name,
    maxBatchRecords: 100,
  });
  await producer.send(makeEvents(n, 40));
  return topic;
}

/** Offsets are consecutive per partition from `from` (the next offset of each, by partition). */
function assertInOrder(records: readonly ConsumedRecord[], from: Map<number, number>): void {
  for (const r of records) {
    const next = from.get(r.partition) ?? 0;
    assert.equal(r.offset, next, `partition ${r.partition}: offset ${r.offset} after ${next - 1}`);
    from.set(r.partition, next + 1);
  }
}

Deno.test(
  "EventConsumer reading ahead fetches the next batch while a record of the last is held",
  opts,
  async (t) => {
    await using topic = await filledTopic("ahead", 1, 1000);
    const client = testClient(brokers);
    for (const readAhead of [true, false]) {
      await t.step(`readAhead ${readAhead}`, async () => {
        const probe = fetchRounds();
        await using consumer = await EventConsumer.connect(client, {
          topic: topic.name,
          groupId: uniqueGroup("ahead"),
          startingOffsets: "earliest",
          autoCommit: false,
          readAhead,
          maxBytesPerPartition: 8 * 1024, // batches of a few dozen records
          onFetch: probe.onFetch,
        });
        const it = consumer[Symbol.asyncIterator]();
        const first = await it.next();
        assert.equal(first.done, false);
        // The loop body now holds record 0. Reading ahead, kafkajs went on fetching: the round
        // after the first brought the next batch (it then waits for this one to be taken).
        const fetchedWhileHeld = probe.count();
        if (readAhead) {
          await probe.rounds(Math.max(0, 2 - fetchedWhileHeld));
          assert.ok(probe.count() >= 2, `${probe.count()} fetch rounds while record 0 is held`);
        } else {
          // Without it kafkajs fetches nothing while the batch is not taken: no round comes in
          // three fetch waits (500 ms each) of holding the record.
          assert.deepEqual(await drainFetches(probe, 1500), fetchedWhileHeld);
        }
        const rest = await take(consumer, 999);
        assertInOrder([first.value as ConsumedRecord, ...rest], new Map());
        assert.deepEqual(await drain(consumer, 600), [], "nothing more arrives");
      });
    }
  },
);

/** The fetch rounds counted after `ms` (for the "no round came" check). */
async function drainFetches(probe: ReturnType<typeof fetchRounds>, ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return probe.count();
}

Deno.test(
  "EventConsumer reading ahead drops what it read ahead of a partition it seeks",
  opts,
  async () => {
    await using topic = await filledTopic("ahead-seek", 2, 1200);
    const client = testClient(brokers);
    const ends = new Map<number, number>();
    {
      await using admin = await KafkaAdmin.connect(client);
      for (const o of await admin.topicOffsets(topic.name)) ends.set(o.partition, o.high);
    }
    await using consumer = await EventConsumer.connect(client, {
      topic: topic.name,
      groupId: uniqueGroup("ahead-seek"),
      startingOffsets: "earliest",
      autoCommit: false,
      maxBytesPerPartition: 4 * 1024, // batches of a few dozen records: several read ahead
    });
    const before = await take(consumer, 50);
    // Back to 10 on the partition being read (its batches held behind this one are given up),
    // and forward to its middle on the other: each goes on from exactly there, in order, once.
    const p = before[0].partition;
    const other = 1 - p;
    const middle = Math.floor(ends.get(other)! / 2);
    assert.ok(ends.get(p)! > 50 && middle > 0, `partition ends ${[...ends]}`);
    consumer.seek(p, 10);
    consumer.seek(other, middle);
    const want = (ends.get(p)! - 10) + (ends.get(other)! - middle);
    const after = await take(consumer, want);
    assertInOrder(after, new Map([[p, 10], [other, middle]]));
    assert.deepEqual(await drain(consumer, 600), [], "nothing more arrives");
  },
);

Deno.test(
  "EventConsumer reading ahead yields nothing of partitions it lost in a rebalance, and none is lost",
  opts,
  async () => {
    const n = 3000;
    await using topic = await filledTopic("ahead-rebalance", 4, n);
    const client = testClient(brokers);
    const groupId = uniqueGroup("ahead-rebalance");
    const options = {
      topic: topic.name,
      groupId,
      startingOffsets: "earliest" as const,
      autoCommit: false,
      maxBytesPerPartition: 16 * 1024,
    };
    let rejoined: () => void = () => {};
    const aRejoined = new Promise<void>((resolve) => rejoined = resolve);
    let joins = 0;
    await using a = await EventConsumer.connect(client, {
      ...options,
      onAssignment: () => {
        if (++joins > 1) rejoined();
      },
    });
    const fromA = await take(a, 300);
    // What `a` processed is committed; with batches read ahead and held, `b` joins.
    await a.commit();
    await using b = await EventConsumer.connect(client, options);
    await withDeadline(aRejoined, 30_000, { message: "a did not rejoin within 30 s" });
    const partsA = new Set(a.assignment().flatMap((x) => x.partitions));
    const partsB = new Set(b.assignment().flatMap((x) => x.partitions));
    assert.ok(partsA.size > 0 && partsB.size > 0, `a=${[...partsA]} b=${[...partsB]}`);

    const afterA: ConsumedRecord[] = [];
    const fromB: ConsumedRecord[] = [];
    const deadline = Date.now() + 60_000;
    const got = () => fromA.length + afterA.length + fromB.length;
    const itA = a[Symbol.asyncIterator]();
    const itB = b[Symbol.asyncIterator]();
    while (got() < n && Date.now() < deadline) {
      for (let r = itA.nextReady(); r && !r.done; r = itA.nextReady()) afterA.push(r.value);
      for (let r = itB.nextReady(); r && !r.done; r = itB.nextReady()) fromB.push(r.value);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await itA.return?.();
    await itB.return?.();
    for (const r of afterA) {
      assert.ok(
        partsA.has(r.partition),
        `a yielded ${key(r)} after losing partition ${r.partition}`,
      );
    }
    for (const r of fromB) assert.ok(partsB.has(r.partition), `b yielded ${key(r)}`);
    const keys = [...fromA, ...afterA, ...fromB].map(key);
    assert.equal(new Set(keys).size, keys.length, "no record delivered twice");
    assert.equal(keys.length, n, "every record delivered");
  },
);

Deno.test(
  "EventConsumer reading ahead does not deliver again the record held across a rebalance it noticed while caught up",
  opts,
  async () => {
    await using topic = await filledTopic("ahead-held", 1, 200);
    const groupId = uniqueGroup("ahead-held");
    const options = {
      topic: topic.name,
      groupId,
      startingOffsets: "earliest" as const,
      autoCommit: false, // nothing committed: a rejoin fetches the partition from offset 0 again
    };
    let rejoined: () => void = () => {};
    const aRejoined = new Promise<void>((resolve) => rejoined = resolve);
    let joins = 0;
    // kafkajs' round-robin assignor orders members by id, which starts with the client id: the
    // one partition stays with `a`.
    await using a = await EventConsumer.connect(testClient(brokers, { clientId: "a-holds" }), {
      ...options,
      onAssignment: () => {
        if (++joins > 1) rejoined();
      },
    });
    const it = a[Symbol.asyncIterator]();
    const before: ConsumedRecord[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await it.next();
      assert.equal(r.done, false);
      before.push(r.value as ConsumedRecord);
    }
    // `a` holds record 199, caught up: no eachBatch waits, so the rebalance is noticed by a
    // heartbeat between fetches (its own watch, or kafkajs').
    await using b = await EventConsumer.connect(
      testClient(brokers, { clientId: "b-joins" }),
      options,
    );
    await withDeadline(aRejoined, 30_000, { message: "a did not rejoin within 30 s" });
    assert.deepEqual(a.assignment().flatMap((x) => x.partitions), [0], "a kept the partition");
    {
      await using producer = await EventProducer.connect(testClient(brokers), {
        topic: topic.name,
      });
      await producer.send(makeEvents(50, 5));
    }
    // Refetched from 0, the partition goes on after the record still held: 200.. only.
    const after = await take(a, 50);
    assertInOrder(after, new Map([[0, 200]]));
    assert.deepEqual(await drain(a, 600), [], "nothing more arrives at a");
    assert.deepEqual(await drain(b, 600), [], "b has no partition");
    assertInOrder(before, new Map());
  },
);
