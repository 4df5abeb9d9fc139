/**
 * `consumerSettings()`: the defaults of `EventConsumer.connect()` as kafkajs takes them, and the
 * errors naming a bad option.
 *
 * @module
 */

import assert from "node:assert/strict";
import { consumerSettings } from "../../src/kafka/consumer_options.ts";

Deno.test("consumerSettings() fills in the documented defaults", () => {
  assert.deepEqual(consumerSettings({ topic: "t", groupId: "g" }), {
    topics: ["t"],
    fromBeginning: false,
    config: {
      groupId: "g",
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 1_048_576,
      allowAutoTopicCreation: false,
    },
  });
  const settings = consumerSettings({
    topic: ["a", "b"],
    groupId: "g",
    startingOffsets: "earliest",
    sessionTimeoutMs: 6000,
    maxWaitMs: 100,
  });
  assert.deepEqual(settings.topics, ["a", "b"]);
  assert.equal(settings.fromBeginning, true);
  assert.equal(settings.config.sessionTimeout, 6000);
  assert.equal(settings.config.maxWaitTimeInMs, 100);
});

Deno.test("consumerSettings() raises kafkajs' whole-fetch bound for a partition bound above it", () => {
  const big = consumerSettings({ topic: "t", groupId: "g", maxBytesPerPartition: 16 << 20 });
  assert.equal(big.config.maxBytesPerPartition, 16 << 20);
  assert.equal(big.config.maxBytes, 16 << 20);
  const small = consumerSettings({ topic: "t", groupId: "g", maxBytesPerPartition: 8 << 20 });
  assert.equal(small.config.maxBytes, undefined, "kafkajs' default 10 MiB stays");
});

Deno.test("consumerSettings() names what is wrong", () => {
  assert.throws(() => consumerSettings({ topic: [], groupId: "g" }), TypeError);
  assert.throws(() => consumerSettings({ topic: "t", groupId: "" }), /no consumer group/);
  assert.throws(
    () => consumerSettings({ topic: "t", groupId: "g", startingOffsets: "middle" as never }),
    /startingOffsets must be "earliest" or "latest", got "middle"/,
  );
});
