/**
 * EventConsumer group behaviour on the real broker: a second member joining takes over some
 * partitions while the first one is blocked mid-batch (heartbeats from the waiting bridge
 * carry it through the rebalance), and between them every record is delivered exactly once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";
import { makeEvents, take } from "./_collect.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Pulls from `consumer` into `sink` until `done()` or the deadline. */
async function pump(
  consumer: EventConsumer,
  sink: ConsumedRecord[],
  done: () => boolean,
  deadline: number,
): Promise<void> {
  const it = consumer[Symbol.asyncIterator]();
  while (!done() && Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      it.next(),
      new Promise<"tick">((r) => timer = setTimeout(() => r("tick"), 200)),
    ]);
    clearTimeout(timer);
    if (result === "tick") continue;
    if (result.done) return;
    sink.push(result.value);
  }
  await it.return?.();
}

Deno.test(
  "EventConsumer shares partitions with a second member that joins, delivering each record once",
  opts,
  async () => {
    await using topic = await createTestTopic(brokers, "rebalance", { partitions: 4 });
    const client = testClient(brokers);
    const groupId = uniqueGroup("rebalance");
    const events = makeEvents(3000, 60);
    {
      await using producer = await EventProducer.connect(client, {
        topic: topic.name,
        maxBatchRecords: 200,
      });
      await producer.send(events);
    }
    const options = {
      topic: topic.name,
      groupId,
      startingOffsets: "earliest" as const,
      maxBytesPerPartition: 16 * 1024, // small batches: many commits, many chances to overlap
    };
    // Every (re)join of `a`, as the group coordinator answered it.
    const joinsOfA: { partitions: number[]; memberId: string }[] = [];
    let rejoined: () => void = () => {};
    const aRejoined = new Promise<void>((resolve) => rejoined = resolve);
    await using a = await EventConsumer.connect(client, {
      ...options,
      onAssignment: (assignment, memberId) => {
        joinsOfA.push({ partitions: assignment.flatMap((t) => t.partitions), memberId });
        if (joinsOfA.length > 1) rejoined();
      },
    });
    assert.deepEqual(joinsOfA.map((j) => j.partitions), [[0, 1, 2, 3]]);
    const fromA = await take(a, 300);

    // `a` is now blocked in the middle of a batch; `b` joining needs `a` to rejoin, which only
    // its heartbeats (from the waiting bridge) can make it do before the coordinator drops it.
    await using b = await EventConsumer.connect(client, options);
    // a's GROUP_JOIN may trail b's: wait for it (the event, not a time), bounded.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      aRejoined,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`a did not rejoin within 30 s: ${JSON.stringify(joinsOfA)}`)),
          30_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const partsA = a.assignment().flatMap((t) => t.partitions);
    const partsB = b.assignment().flatMap((t) => t.partitions);
    assert.deepEqual(partsA, joinsOfA.at(-1)!.partitions);
    assert.equal(partsA.length + partsB.length, 4, `a=${partsA} b=${partsB}`);
    assert.ok(partsA.length > 0 && partsB.length > 0, `a=${partsA} b=${partsB}`);
    // `a` rejoined as the same member: it was not dropped for missed heartbeats and restarted.
    assert.equal(joinsOfA.length, 2, JSON.stringify(joinsOfA));
    assert.equal(joinsOfA[1].memberId, joinsOfA[0].memberId, "a kept its membership");

    const fromB: ConsumedRecord[] = [];
    const done = () => fromA.length + fromB.length >= events.length;
    const deadline = Date.now() + 60_000;
    await Promise.all([pump(a, fromA, done, deadline), pump(b, fromB, done, deadline)]);

    const keys = [...fromA, ...fromB].map((r) => `${r.partition}:${r.offset}`);
    assert.equal(new Set(keys).size, keys.length, "no record delivered twice");
    assert.equal(keys.length, events.length, "every record delivered");
  },
);
