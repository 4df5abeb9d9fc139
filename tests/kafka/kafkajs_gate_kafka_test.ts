/**
 * Every patch the kafkajs gate installs is used by kafkajs in a real produce and consume through
 * the program's own `EventProducer` and `EventConsumer`: each call counter of `patchCalls()`
 * moves. Half the events are sent uncompressed (the direct record batch writes them) and half
 * with gzip (kafkajs' own record encoder, with the fast varints), and the broker takes both: a
 * wrong CRC or length would be refused. The uncompressed half is consumed before the gzip half is
 * sent, so the columnar fetch decodes its record sets. A patch that kafkajs stopped going through (an import
 * reordered, a kafkajs internal renamed) fails here by name.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import { patchCalls } from "../../src/kafka/kafkajs.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";
import { makeEvents, take } from "./_collect.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a real produce and consume goes through every patch of the kafkajs gate",
  opts,
  async () => {
    await using topic = await createTestTopic(brokers, "gate", { partitions: 2 });
    const client = testClient(brokers);
    const events = makeEvents(400, 20);
    const before = patchCalls();
    const half = events.length / 2;
    const group = uniqueGroup("gate");
    const consume = async (n: number) => {
      await using consumer = await EventConsumer.connect(client, {
        topic: topic.name,
        groupId: group,
        startingOffsets: "earliest",
      });
      return await take(consumer, n);
    };
    // The uncompressed half is read first, so its fetches are record sets the columnar fetch
    // takes; the gzip half's go to kafkajs' own decoder.
    const records: ConsumedRecord[] = [];
    {
      await using producer = await EventProducer.connect(client, { topic: topic.name });
      assert.equal((await producer.send(events.slice(0, half))).records, half);
    }
    records.push(...await consume(half));
    {
      await using producer = await EventProducer.connect(client, {
        topic: topic.name,
        compression: "gzip",
      });
      assert.equal((await producer.send(events.slice(half))).records, events.length - half);
    }
    records.push(...await consume(events.length - half));
    const text = new TextDecoder();
    const got = records.map((r) =>
      JSON.parse(text.decode(r.value!)) as { url: string; session_id: string }
    );
    assert.deepEqual(
      new Set(got.map((e) => `${e.session_id} ${e.url}`)),
      new Set(events.map((e) => `${e.session_id} ${e.url}`)),
      "every event sent came back once",
    );

    const after = patchCalls();
    const moved = Object.fromEntries(
      Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)]),
    );
    console.log(`patch calls during the produce and consume: ${JSON.stringify(moved)}`);
    const unused = Object.entries(moved).filter(([, n]) => !(n > 0)).map(([name]) => name);
    assert.deepEqual(unused, [], `kafkajs did not go through: ${unused.join(", ")}`);
  },
);
