/**
 * The reader of `<topic>.sessions` against a real broker: its consumer is closed under it (the
 * follower did not ask for that), the follower opens another, which goes on from the offsets
 * read (nothing is read twice), and an assignment after the break restores the snapshots written
 * after it — as `featurize`'s assignment hook does, through `restoreSnapshots`.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { EventConsumer } from "../../src/kafka/consumer.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { snapshotReader } from "../../src/cli/snapshot_reader.ts";
import { FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { encodeSnapshot } from "../../src/stream/session_snapshot.ts";
import { SnapshotFollower } from "../../src/stream/snapshot_follower.ts";
import { restoreSnapshots } from "../../src/stream/snapshot_restore.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";

const brokers = await testBrokers();
const FEATURE_SET = new FeaturizeStage().featureSet.id;

Deno.test("the snapshot reader reconnects when its consumer goes away, and the next assignment restores from a snapshot", async () => {
  await using topic = await createTestTopic(brokers, "sessions", { partitions: 2 });
  const client = testClient(brokers);
  await using admin = await KafkaAdmin.connect(client);
  await using producer = await EventProducer.connect(client, {
    topic: topic.name,
    acks: "all",
    maxBatchRecords: 1,
  });
  let written = 0;
  const write = async (partition: number, next: number) => {
    const state = { ...new FeaturizeStage().partitionState(partition), next };
    const chunks = await encodeSnapshot(state, FEATURE_SET, 64);
    await producer.sendRaw(chunks.map((c) => ({ ...c, partition })));
    written += chunks.length;
  };
  const ends = async () =>
    new Map((await admin.topicOffsets(topic.name)).map((o) => [o.partition, o.high]));
  const lines: string[] = [];
  const assign = async (partitions: number[]) =>
    restoreSnapshots({
      follower,
      topic: topic.name,
      partitions,
      ends: await ends(),
      featureSetId: FEATURE_SET,
      waitMs: 60_000,
      signal: stop.signal,
      log: (line) => lines.push(line),
    });

  const follower = new SnapshotFollower();
  const open = snapshotReader(client, {
    topic: topic.name,
    groupPrefix: uniqueGroup("sessions-reader"),
    follower,
  });
  const opened: EventConsumer[] = [];
  const retries: string[] = [];
  const stop = new AbortController();
  const following = follower.keepFollowing(async () => {
    const reader = await open();
    opened.push(reader);
    return reader;
  }, {
    initialDelayMs: 100,
    signal: stop.signal,
    onRetry: (error, attempt) => retries.push(`${attempt}: ${error.name}`),
  });
  try {
    await write(1, 100);
    const before = await assign([1]);
    assert.equal(before.get(1)?.next, 100);

    // The consumer goes away under the follower; snapshots keep being written meanwhile.
    await opened[0].close();
    await write(1, 300);
    await write(0, 50);

    const after = await assign([0, 1]);
    assert.equal(after.get(1)?.next, 300, lines.join("\n"));
    assert.equal(after.get(0)?.next, 50, lines.join("\n"));
    assert.equal(opened.length, 2, "one new reader replaced the one that went away");
    assert.equal(retries.length, 1, retries.join("\n"));
    assert.equal(follower.records, written, "the new reader went on from what was read");
    assert.ok(!lines.some((l) => l.startsWith("warning")), lines.join("\n"));
  } finally {
    stop.abort();
    await following;
  }
});
