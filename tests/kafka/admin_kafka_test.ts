/**
 * `KafkaAdmin` on the run's single broker: the default replication factor follows the brokers
 * in the metadata (1 here; the cluster tests see 3), and bad values are refused naming them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { defaultReplicationFactor, KafkaAdmin } from "../../src/kafka/admin.ts";
import { testBrokers, testClient, uniqueTopic } from "../_helpers/kafka.ts";

const brokers = await testBrokers();

Deno.test("defaultReplicationFactor() is min(3, brokers), at least 1", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 9].map(defaultReplicationFactor), [1, 1, 2, 3, 3, 3]);
});

Deno.test("ensureTopic() on a single broker creates one replica, and refuses bad replication factors", async () => {
  const topic = uniqueTopic("admin-rf");
  await using admin = await KafkaAdmin.connect(testClient(brokers));
  try {
    assert.equal(await admin.brokerCount(), 1);
    assert.equal(await admin.ensureTopic(topic, { partitions: 2 }), true);
    const parts = await admin.topicReplicas(topic);
    assert.deepEqual(parts.map((p) => p.partition), [0, 1]);
    for (const p of parts) {
      assert.equal(p.replicas.length, 1);
      assert.deepEqual(p.isr, p.replicas);
      assert.equal(p.leader, p.replicas[0]);
    }
    for (const bad of [0, 1.5, -1]) {
      await assert.rejects(
        admin.ensureTopic(uniqueTopic("admin-rf-bad"), { replicationFactor: bad }),
        new RegExp(`replicationFactor must be an integer >= 1, got ${bad}`),
      );
    }
    // More replicas than brokers: Kafka's own refusal, not a topic with fewer.
    const tooMany = uniqueTopic("admin-rf-3");
    await assert.rejects(
      admin.ensureTopic(tooMany, { replicationFactor: 3 }),
      new RegExp(
        `Cannot create topic "${tooMany}" \\(1 partition\\(s\\), replication factor 3\\): INVALID_REPLICATION_FACTOR`,
      ),
    );
    assert.equal(await admin.partitionCount(tooMany), undefined);
  } finally {
    await admin.deleteTopics([topic]);
  }
});

Deno.test("topicConfigs() reads a topic's configs back, its own and the broker's defaults", async () => {
  const topic = uniqueTopic("admin-configs");
  await using admin = await KafkaAdmin.connect(testClient(brokers));
  try {
    await admin.ensureTopic(topic, { configs: { "retention.ms": "-1" } });
    const configs = await admin.topicConfigs(topic);
    assert.equal(configs["retention.ms"], "-1");
    assert.equal(typeof configs["cleanup.policy"], "string", "a default, too");
  } finally {
    await admin.deleteTopics([topic]);
  }
});
