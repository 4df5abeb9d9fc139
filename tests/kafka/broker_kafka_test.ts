/**
 * The local broker launcher (`kafka/broker.ts`) and kafkajs across a broker restart. These tests
 * start their own broker (they bounce it, so they cannot share the run's broker).
 *
 * @module
 */

import assert from "node:assert/strict";
import { probeMetadata, startBroker } from "../../kafka/broker.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { testClient, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { makeEvents, take } from "./_collect.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();

Deno.test(
  "startBroker() serves metadata, stop() closes the port and start() keeps the topics",
  opts,
  async () => {
    await using broker = await startBroker();
    assert.match(broker.brokers, /^127\.0\.0\.1:\d+$/);
    assert.equal(await probeMetadata("127.0.0.1", broker.port), 1);
    const topic = uniqueTopic("persist");
    const client = testClient(broker.brokers);
    {
      await using admin = await KafkaAdmin.connect(client);
      assert.equal(await admin.ensureTopic(topic, { partitions: 2 }), true);
      assert.equal(await admin.ensureTopic(topic, { partitions: 2 }), false, "idempotent");
      await using producer = await EventProducer.connect(client, { topic });
      await producer.send(makeEvents(10, 2));
    }
    await broker.stop();
    assert.equal(broker.running, false);
    await assert.rejects(probeMetadata("127.0.0.1", broker.port, 500));
    await broker.start();
    {
      await using admin = await KafkaAdmin.connect(client);
      assert.ok((await admin.listTopics()).includes(topic));
      const offsets = await admin.topicOffsets(topic);
      assert.equal(offsets.reduce((n, p) => n + p.high, 0), 10, "the records survived");
    }
    const log = await Deno.readTextFile(broker.logFile);
    assert.match(log, /Kafka Server started/);
  },
);

Deno.test(
  "EventProducer and EventConsumer ride out a broker restart without losing acknowledged events",
  opts,
  async () => {
    await using broker = await startBroker();
    const client = testClient(broker.brokers);
    const topic = uniqueTopic("bounce");
    {
      await using admin = await KafkaAdmin.connect(client);
      await admin.ensureTopic(topic, { partitions: 2 });
    }
    await using producer = await EventProducer.connect(client, {
      topic,
      idempotent: true,
      maxBatchRecords: 50,
    });
    await using consumer = await EventConsumer.connect(client, {
      topic,
      groupId: uniqueGroup("bounce"),
      startingOffsets: "earliest",
    });
    const events = makeEvents(4000, 50);
    const acked: string[] = [];
    let sendFailures = 0;
    const produce = (async () => {
      for (let i = 0; i < events.length; i += 100) {
        const chunk = events.slice(i, i + 100);
        for (;;) {
          try {
            await producer.send(chunk);
            break;
          } catch {
            sendFailures++; // at-least-once: retry the chunk
            if (sendFailures > 20) throw new Error("the producer never recovered");
          }
        }
        for (const e of chunk) acked.push(JSON.stringify(e));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const consumed = take(consumer, events.length, 90_000); // consuming while it bounces
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await broker.restart();
    const restartMs = performance.now() - t0;
    await produce;
    assert.equal(acked.length, events.length);
    const got = await consumed.catch((error) => {
      throw new Error(`${error.message} (restart took ${restartMs} ms)`);
    });
    const values = got.map((r) => decoder.decode(r.value!));
    assert.deepEqual(new Set(values), new Set(acked), "every acknowledged event arrived");
    console.log(
      `broker restart ${Math.round(restartMs)} ms; send retries at our level ${sendFailures}; ` +
        `${got.length} records consumed, ${got.length - new Set(values).size} duplicates`,
    );
  },
);
