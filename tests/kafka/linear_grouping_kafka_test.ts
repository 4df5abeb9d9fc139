/**
 * kafkajs' producer, sending to the real broker, groups a send's records by partition through
 * the linear `groupMessagesPerPartition` of `src/kafka/linear_grouping.ts` (its call counter
 * moves during the send), and the records land on the partitions kafkajs' own quadratic version
 * would have chosen.
 *
 * @module
 */

import {
  linearGroupingCalls,
  linearGroupingInstalled,
  originalGroupMessagesPerPartition,
} from "../../src/kafka/linear_grouping.ts";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Partitioners } from "../../src/kafka/kafkajs.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { createTestTopic, testBrokers, testClient } from "../_helpers/kafka.ts";
import { makeEvents } from "./_collect.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafkajs' producer groups a send's records through the linear groupMessagesPerPartition",
  opts,
  async () => {
    assert.equal(linearGroupingInstalled(), true);
    await using topic = await createTestTopic(brokers, "linear-grouping", { partitions: 3 });
    const client = testClient(brokers);
    const events = makeEvents(600, 25);
    await using producer = await EventProducer.connect(client, { topic: topic.name });
    const before = linearGroupingCalls();
    const result = await producer.send(events); // 600 records: one kafkajs send
    const calls = linearGroupingCalls() - before;
    assert.equal(result.records, 600);
    // once per topic per attempt of kafkajs' sendMessages (a retry would make it 2)
    assert.ok(calls >= 1, "kafkajs' producer did not call the linear grouping");

    // The split the broker holds is the one kafkajs' original grouping gives the same records
    // with the producer's partitioner (kafkajs' DefaultPartitioner, as in EventProducer).
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1 }));
    const expected = originalGroupMessagesPerPartition({
      topic: topic.name,
      partitionMetadata,
      messages: events.map((e) => ({ key: Buffer.from(e.session_id), value: null })),
      partitioner: Partitioners.DefaultPartitioner() as never,
    });
    await using admin = await KafkaAdmin.connect(client);
    const counts = (await admin.topicOffsets(topic.name)).map((p) => p.high);
    assert.deepEqual(counts, [0, 1, 2].map((p) => expected[p]?.length ?? 0));
    assert.ok(counts.filter((c) => c > 0).length > 1, `one partition took them all: ${counts}`);
  },
);
