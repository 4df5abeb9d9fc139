/**
 * Dead letters on the real broker: bad records go to `<topic>.dlq` unchanged, with the reason,
 * the field and the source position in headers, and read back with `readDeadLetter()`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { typedRecords } from "../../src/events/typed_records.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { deadLetterRecord, deadLetterTopic, readDeadLetter } from "../../src/kafka/dead_letters.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";
import { makeEvents, take } from "./_collect.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("deadLetterTopic() appends .dlq", () => {
  assert.equal(deadLetterTopic("clickstream_v2"), "clickstream_v2.dlq");
});

Deno.test(
  "deadLetterRecord() keeps the bad record's bytes and readDeadLetter() finds why and where",
  opts,
  async () => {
    await using topic = await createTestTopic(brokers, "dlqsrc", { partitions: 1 });
    const client = testClient(brokers);
    const dlq = deadLetterTopic(topic.name);
    {
      await using admin = await KafkaAdmin.connect(client);
      await admin.ensureTopic(dlq);
    }
    try {
      const bad = new Uint8Array([0x7b, 0xff, 0x7d]);
      {
        await using producer = await EventProducer.connect(client, { topic: topic.name });
        await producer.send(makeEvents(1));
        await producer.sendRaw([{ key: "k1", value: bad, headers: { trace: "t-1" } }]);
      }
      {
        await using consumer = await EventConsumer.connect(client, {
          topic: topic.name,
          groupId: uniqueGroup("dlqsrc"),
          startingOffsets: "earliest",
        });
        await using dlqProducer = await EventProducer.connect(client, { topic: dlq });
        let n = 0;
        for await (const item of typedRecords(consumer)) {
          if (!item.ok) {
            await dlqProducer.sendRaw([deadLetterRecord(item.record, item.error)]);
          }
          if (++n === 2) break;
        }
      }
      await using reader = await EventConsumer.connect(client, {
        topic: dlq,
        groupId: uniqueGroup("dlq"),
        startingOffsets: "earliest",
      });
      const [letter] = await take(reader, 1);
      assert.deepEqual(letter.value, bad, "value bytes unchanged");
      assert.equal(new TextDecoder().decode(letter.key!), "k1");
      assert.equal(new TextDecoder().decode(letter.headers.trace), "t-1", "own headers kept");
      const info = readDeadLetter(letter);
      assert.ok(info);
      assert.equal(info.reason, "not_utf8");
      assert.deepEqual(
        { topic: info.source.topic, partition: info.source.partition, offset: info.source.offset },
        { topic: topic.name, partition: 0, offset: 1 },
      );
      assert.ok(info.message.length > 0);
    } finally {
      await using admin = await KafkaAdmin.connect(client);
      await admin.deleteTopics([dlq]);
    }
  },
);
