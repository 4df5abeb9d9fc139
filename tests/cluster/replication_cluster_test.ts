/**
 * The 3-broker cluster itself (`kafka/cluster.ts`, as `tests/run.ts` starts it): three brokers
 * in every broker's metadata, three replicas all in sync for the topics the program creates and
 * for the group offsets, and `min.insync.replicas=2` holding — with one broker stopped an
 * idempotent `acks=all` producer still writes and a consumer reads everything; with two stopped
 * writes fail, and succeed again once they are back. Assertions are on the data, never timings.
 *
 * @module
 */

import assert from "node:assert/strict";
import { probeMetadata } from "../../dev/kafka/broker.ts";
import { KafkaAdmin, type PartitionReplicas } from "../../src/kafka/admin.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { testCluster } from "../_helpers/cluster.ts";
import { testClient, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { makeEvents, take } from "../kafka/_collect.ts";

const cluster = await testCluster();
const opts = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();

/** Polls `topicReplicas(topic)` until `done` holds (bounded), and returns the last answer. */
async function replicasWhen(
  admin: KafkaAdmin,
  topic: string,
  done: (parts: PartitionReplicas[]) => boolean,
  timeoutMs = 60_000,
): Promise<PartitionReplicas[]> {
  const deadline = Date.now() + timeoutMs;
  let parts = await admin.topicReplicas(topic);
  while (!done(parts) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    parts = await admin.topicReplicas(topic);
  }
  return parts;
}

Deno.test(
  "the cluster is 3 brokers, and topics made by the program and the group offsets have 3 replicas, all in sync",
  opts,
  async () => {
    assert.equal(cluster.size, 3);
    const ports = cluster.brokers.split(",").map((b) => Number(b.split(":")[1]));
    assert.equal(new Set(ports).size, 3, cluster.brokers);
    for (const port of ports) {
      assert.equal(await probeMetadata("127.0.0.1", port), 3, `broker on ${port} lists all 3`);
    }
    const topic = uniqueTopic("replicated");
    const client = testClient(cluster.brokers);
    await using admin = await KafkaAdmin.connect(client);
    assert.equal(await admin.brokerCount(), 3);
    try {
      assert.equal(await admin.ensureTopic(topic, { partitions: 3 }), true);
      const parts = await replicasWhen(admin, topic, (ps) => ps.every((p) => p.isr.length === 3));
      assert.equal(parts.length, 3);
      for (const p of parts) {
        assert.deepEqual(p.replicas, [1, 2, 3], `partition ${p.partition} replicas`);
        assert.deepEqual(p.isr, [1, 2, 3], `partition ${p.partition} in-sync replicas`);
        assert.ok(p.replicas.includes(p.leader), `partition ${p.partition} leader ${p.leader}`);
      }
      // The group coordinator's topic, created when the cluster formed.
      const offsets = await admin.topicReplicas("__consumer_offsets");
      assert.ok(offsets.length > 0);
      for (const p of offsets) assert.deepEqual(p.replicas, [1, 2, 3]);
    } finally {
      await admin.deleteTopics([topic]);
    }
  },
);

Deno.test(
  "min.insync.replicas=2: with one broker down acks=all writes and reads everything, with two down writes fail until one is back",
  opts,
  async () => {
    const topic = uniqueTopic("min-isr");
    const client = testClient(cluster.brokers);
    const admin = await KafkaAdmin.connect(client);
    const stopped: number[] = [];
    try {
      await admin.ensureTopic(topic); // one partition, three replicas
      const [before] = await replicasWhen(admin, topic, ([p]) => p.isr.length === 3);
      assert.deepEqual(before.isr, [1, 2, 3]);
      const events = makeEvents(400, 20);
      const [a, b, c, d] = [0, 1, 2, 3].map((i) => events.slice(i * 100, (i + 1) * 100));
      const acked: typeof events = [];
      // One idempotent acks=all producer for every write that must succeed.
      await using producer = await EventProducer.connect(client, {
        topic,
        acks: "all",
        idempotent: true,
      });
      await producer.send(a);
      acked.push(...a);

      // One broker down — the partition's leader, so the leadership moves.
      const first = before.leader - 1;
      stopped.push(first);
      await cluster.stopBroker(first);
      const [shrunk] = await replicasWhen(admin, topic, ([p]) => p.isr.length === 2);
      assert.equal(shrunk.isr.length, 2, `in-sync replicas with broker ${first + 1} down`);
      assert.ok(!shrunk.isr.includes(first + 1));
      await producer.send(b);
      acked.push(...b);

      // Two brokers down: one replica left, below min.insync.replicas (and no controller quorum).
      const [one] = await admin.topicReplicas(topic);
      const second = one.leader - 1;
      stopped.push(second);
      await cluster.stopBroker(second);
      const impatient = testClient(cluster.brokers, {
        requestTimeoutMs: 5000,
        retry: { retries: 2, maxRetryTime: 1000 },
      });
      {
        // Not idempotent: an idempotent producer could not even start (its producer id comes
        // from the controller quorum, gone too); this one reaches the partition and its ISR.
        await using failing = await EventProducer.connect(impatient, {
          topic,
          acks: "all",
          idempotent: false,
          ackTimeoutMs: 3000,
        });
        const error = await failing.send(c).then(() => undefined, (e: Error) => e);
        assert.ok(error instanceof Error, "an acks=all write with one replica of three succeeded");
        // NOT_ENOUGH_REPLICAS (the stopped brokers left the ISR cleanly), or a timeout.
        assert.match(
          `${error.message} ${(error as { cause?: Error }).cause?.message}`,
          /fewer in-sync replicas than required|timed? ?out/i,
        );
        console.log(`with two brokers down the write failed: ${error.name}: ${error.message}`);
      }

      // Both back: writes succeed again.
      for (const index of stopped.splice(0)) await cluster.startBroker(index);
      await producer.send(d);
      acked.push(...d);
      const [after] = await replicasWhen(admin, topic, ([p]) => p.isr.length === 3);
      assert.deepEqual(after.isr, [1, 2, 3], "every replica back in sync");

      // Everything acknowledged, once each, in order; of the failed write at most each record once.
      const [{ high }] = await admin.topicOffsets(topic);
      await using consumer = await EventConsumer.connect(client, {
        topic,
        groupId: uniqueGroup("min-isr"),
        startingOffsets: "earliest",
      });
      const read = (await take(consumer, high, 60_000)).map((r) =>
        JSON.parse(decoder.decode(r.value!)) as (typeof events)[number]
      );
      const failed = new Set(c.map((e) => e.timestamp)); // timestamps are unique here
      assert.deepEqual(read.filter((e) => !failed.has(e.timestamp)), acked);
      const again = read.filter((e) => failed.has(e.timestamp)).map((e) => e.timestamp);
      assert.equal(new Set(again).size, again.length, "no record of the failed write twice");
      console.log(
        `${acked.length} acknowledged records read back; ${again.length} of the ${c.length} of the failed write in the log`,
      );
    } finally {
      for (const index of stopped) await cluster.startBroker(index);
      await admin.deleteTopics([topic]).catch(() => {});
      await admin.close();
    }
  },
);
