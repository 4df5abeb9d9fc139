/**
 * A trainer killed with SIGKILL stays a member of its group until the coordinator times its
 * session out. The trainer that takes over its state directory removes it at once (LeaveGroup on
 * its behalf, member id from the state directory), then gets the partition and trains.
 */
import assert from "node:assert/strict";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { evictGroupMember } from "../../src/kafka/evict_member.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { readGroupMember } from "../../src/stream/group_member.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics, fillTopic, spawnTrain, waitForWeights } from "../_helpers/train_process.ts";

const brokers = await testBrokers();

Deno.test({
  name: "a restarted trainer removes its killed predecessor from the group and trains at once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("evict");
    const group = uniqueGroup("evict");
    await fillTopic(brokers, topic, 1000, 11);
    const dir = await Deno.makeTempDir({ prefix: "clickstream-evict-" });
    const client = new KafkaClient({ brokers });
    await using admin = await KafkaAdmin.connect(client);
    try {
      const first = spawnTrain(brokers, topic, { stateDir: dir, group });
      await waitForWeights(first, (w) => w.events_trained === 1000);
      const dead = await readGroupMember(dir);
      assert.ok(dead, "the trainer recorded its member id");
      assert.equal(dead.group, group);
      assert.deepEqual(await admin.groupMembers(group), [dead.memberId]);
      await first.stop("SIGKILL");
      // The coordinator has not noticed: the dead member is still in the group.
      assert.deepEqual(await admin.groupMembers(group), [dead.memberId]);

      const second = spawnTrain(brokers, topic, { stateDir: dir, group });
      try {
        await waitForWeights(second, () => true);
        assert.match(second.output(), /took over the stale lock of process \d+/);
        assert.match(
          second.output(),
          new RegExp(`removed the dead trainer's member ${dead.memberId} from group ${group}`),
        );
        // It owns the partition: new events are trained.
        await using producer = await EventProducer.connect(client, { topic, acks: "all" });
        const generator = new SessionGenerator({ seed: 12 });
        await producer.send(Array.from({ length: 10 }, () => generator.next()));
        await waitForWeights(second, (w) => w.events_trained === 1010);
        const members = await admin.groupMembers(group);
        assert.equal(members.length, 1);
        assert.notEqual(members[0], dead.memberId);
        const now = await readGroupMember(dir);
        assert.equal(now?.memberId, members[0], "the new member id replaced the old one");

        // Removing it again: the coordinator no longer knows it.
        assert.equal(await evictGroupMember(client, group, dead.memberId), "not-a-member");
      } finally {
        assert.equal((await second.stop("SIGINT")).code, 0);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await dropTopics(brokers, topic);
    }
  },
});
