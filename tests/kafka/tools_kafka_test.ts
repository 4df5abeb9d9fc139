/**
 * Kafka's own tools from the same jars (`kafka/tools.ts`): the console consumer reads what
 * `EventProducer` wrote (key = session id, value = the wire JSON), and `ProducerPerformance`
 * runs against the test broker.
 *
 * @module
 */

import assert from "node:assert/strict";
import { KAFKA_TOOLS, kafkaTool } from "../../dev/kafka/tools.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { createTestTopic, testBrokers, testClient } from "../_helpers/kafka.ts";
import { makeEvents } from "./_collect.ts";

const brokers = await testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "kafkaTool() runs the console consumer, which reads what EventProducer wrote",
  opts,
  async () => {
    await using topic = await createTestTopic(brokers, "tools", { partitions: 1 });
    const events = makeEvents(3, 3);
    {
      await using producer = await EventProducer.connect(testClient(brokers), {
        topic: topic.name,
      });
      await producer.send(events);
    }
    const result = await kafkaTool(KAFKA_TOOLS.consoleConsumer, [
      "--bootstrap-server",
      brokers,
      "--topic",
      topic.name,
      "--from-beginning",
      "--max-messages",
      "3",
      "--property",
      "print.key=true",
      "--property",
      "key.separator=|",
    ], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.deepEqual(
      lines.map((line) => {
        const [key, value] = line.split("|");
        return { key, event: JSON.parse(value) };
      }),
      events.map((event) => ({ key: event.session_id, event })),
    );
  },
);

Deno.test("kafkaTool() runs ProducerPerformance and reports its summary", opts, async () => {
  await using topic = await createTestTopic(brokers, "perf", { partitions: 1 });
  const result = await kafkaTool(KAFKA_TOOLS.producerPerformance, [
    "--topic",
    topic.name,
    "--num-records",
    "5000",
    "--record-size",
    "100",
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${brokers}`,
    "acks=all",
  ], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /5000 records sent, [\d.]+ records\/sec/);
});
