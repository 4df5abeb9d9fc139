/**
 * `EventConsumer` with `recycleResponses` on the real broker: fetch responses of 1 MiB and more
 * (three partitions' record sets each) are read into again once released, and every record the
 * loop still holds — handed out after the last record it released, across many fetches and a
 * seek — keeps its bytes, checked byte for byte at every release. Without the option no response
 * is released.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { responsePool } from "../../src/kafka/response_pool.ts";
import { withDeadline } from "../../src/util/deadline.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

const PARTITIONS = 3;
const PER_PARTITION = 200;
const VALUE_BYTES = 40_000;
/** Records the loop holds unreleased: about two fetch responses' worth. */
const HELD = 60;

/** The value of record `offset` of `partition`: its own bytes, unlike every other record's. */
function valueOf(partition: number, offset: number): Buffer {
  const bytes = Buffer.allocUnsafe(VALUE_BYTES);
  bytes.writeUInt32BE(partition, 0);
  bytes.writeUInt32BE(offset, 4);
  for (let j = 8; j < VALUE_BYTES; j++) bytes[j] = (j * 131 + offset * 7 + partition * 13) & 255;
  return bytes;
}

const expected = new Map<string, Buffer>();
const keyOf = (r: { partition: number; offset: number }) => `${r.partition}:${r.offset}`;

/** Fails unless `record`'s value is still exactly what was produced for it. */
function assertIntact(record: ConsumedRecord, when: string): void {
  const want = expected.get(keyOf(record))!;
  const value = record.value!;
  const got = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (!got.equals(want)) {
    assert.fail(
      `record ${keyOf(record)} changed ${when} (it reads as ${got.readUInt32BE(0)}:${
        got.readUInt32BE(4)
      })`,
    );
  }
}

async function filledTopic(name: string) {
  const topic = await createTestTopic(brokers, name, { partitions: PARTITIONS });
  // Producer batches of two records: a partition's share of a fetch is cut at 512 KiB.
  await using producer = await EventProducer.connect(testClient(brokers), {
    topic: topic.name,
    maxBatchBytes: 100_000,
  });
  for (let p = 0; p < PARTITIONS; p++) {
    const records = [];
    for (let o = 0; o < PER_PARTITION; o++) {
      const value = valueOf(p, o);
      expected.set(`${p}:${o}`, value);
      records.push({ partition: p, value });
    }
    await producer.sendRaw(records);
  }
  return topic;
}

Deno.test(
  "EventConsumer with recycleResponses reuses fetch responses and never one a held record reads",
  opts,
  async () => {
    await using topic = await filledTopic("recycle");
    const before = responsePool.counts();
    await using consumer = await EventConsumer.connect(testClient(brokers), {
      topic: topic.name,
      groupId: uniqueGroup("recycle"),
      startingOffsets: "earliest",
      autoCommit: false,
      recycleResponses: true,
      maxBytesPerPartition: 512 * 1024, // responses of ~1.5 MiB: pooled, and many of them
    });
    const it = consumer[Symbol.asyncIterator]();
    const held: ConsumedRecord[] = [];
    const next = new Map<number, number>(); // per partition, the next offset expected
    const SEEK_AT = 300;
    let seekPartition = -1;
    let taken = 0;
    const done = () =>
      next.size === PARTITIONS && [...next.values()].every((o) => o === PER_PARTITION);
    while (!done()) {
      assert.ok(taken < 2 * PARTITIONS * PER_PARTITION, `${taken} records taken`);
      const result = await withDeadline(it.next(), 30_000, { what: `record ${taken + 1}` });
      assert.equal(result.done, false);
      const record = result.value as ConsumedRecord;
      taken++;
      assert.equal(record.offset, next.get(record.partition) ?? 0, keyOf(record));
      next.set(record.partition, record.offset + 1);
      assertIntact(record, "when handed out");
      held.push(record);
      if (held.length > HELD) {
        // Processed: the oldest record goes; every one still held must be as produced.
        for (const r of held) assertIntact(r, "while held");
        consumer.release(held.shift()!);
      }
      if (taken === SEEK_AT) {
        // Back to 10 on this partition: its batches read ahead are given up, the held records
        // of it stay readable, and it comes again from 10.
        seekPartition = record.partition;
        consumer.seek(seekPartition, 10);
        next.set(seekPartition, 10);
      }
    }
    for (const r of held) assertIntact(r, "at the end");
    assert.ok(seekPartition >= 0);
    const after = responsePool.counts();
    const reused = after.reused - before.reused;
    const released = after.released - before.released;
    // ~24 MiB in responses of ~1.5 MiB: most are read into again.
    assert.ok(reused >= 5, `${reused} responses reused (${released} released)`);
    assert.ok(released >= reused, `${released} released, ${reused} reused`);
  },
);

Deno.test("EventConsumer without recycleResponses releases no response", opts, async () => {
  await using topic = await filledTopic("no-recycle");
  responsePool.enable(); // as another consumer of the process would (this file's first test does)
  const before = responsePool.counts();
  await using consumer = await EventConsumer.connect(testClient(brokers), {
    topic: topic.name,
    groupId: uniqueGroup("no-recycle"),
    startingOffsets: "earliest",
    autoCommit: false,
    maxBytesPerPartition: 512 * 1024,
  });
  const it = consumer[Symbol.asyncIterator]();
  let last: ConsumedRecord | undefined;
  for (let n = 0; n < PARTITIONS * PER_PARTITION; n++) {
    const result = await withDeadline(it.next(), 30_000, { what: `record ${n + 1}` });
    assert.equal(result.done, false);
    last = result.value as ConsumedRecord;
    assertIntact(last, "when handed out");
    consumer.release(last); // a no-op without the option
  }
  const after = responsePool.counts();
  assert.ok(after.taken - before.taken >= 10, `${after.taken - before.taken} pooled responses`);
  assert.equal(after.released - before.released, 0);
});
