import assert from "node:assert/strict";
import { GroupMembership } from "../../src/stream/group_membership.ts";
import {
  resumeAssignment,
  type ResumeHooks,
  resumingConnect,
} from "../../src/stream/resume_hook.ts";
import type { TopicOffset } from "../../src/stream/seek_rule.ts";

class Recorder {
  seeks: string[] = [];
  seek(partition: number, offset: number, topic: string) {
    this.seeks.push(`${topic}/${partition}@${offset}`);
  }
}

function offsetsPort(committed: Record<string, [number, number][]>) {
  const asked: string[] = [];
  return {
    asked,
    groupOffsets(group: string, topic: string) {
      asked.push(`${group}:${topic}`);
      return Promise.resolve(new Map(committed[topic] ?? []));
    },
  };
}

const at = (partition: number, offset: number): TopicOffset => ({ topic: "t", partition, offset });

Deno.test("resumeAssignment() seeks what the rule says, and reads no offsets without a checkpoint", async () => {
  const consumer = new Recorder();
  const offsets = offsetsPort({ t: [[0, 900], [1, 100], [2, -1]] });
  const assignment = [{ topic: "t", partitions: [0, 1, 2, 3] }];
  const seeks = await resumeAssignment(
    consumer,
    assignment,
    [at(0, 500), at(1, 300), at(2, 40)],
    "g",
    offsets,
  );
  assert.deepEqual(consumer.seeks, ["t/0@500", "t/2@40"]);
  assert.deepEqual(seeks, [at(0, 500), at(2, 40)]);
  assert.deepEqual(offsets.asked, ["g:t"]);
  assert.deepEqual(await resumeAssignment(consumer, assignment, [], "g", offsets), []);
  assert.deepEqual(offsets.asked, ["g:t"]);
});

Deno.test("resumingConnect() wires the hooks: an assignment before connect resolves still seeks", async () => {
  const consumer = new Recorder();
  const recorded: string[] = [];
  const membership = new GroupMembership({
    group: "g",
    evict: () => Promise.resolve("removed"),
    record: (id) => Promise.resolve(void recorded.push(id)),
  });
  let hooks: ResumeHooks | undefined;
  let assigned: Promise<void> | undefined;
  const connect = resumingConnect({
    group: "g",
    offsets: offsetsPort({ t: [[0, 900]] }),
    checkpoint: () => [at(0, 500)],
    membership,
    connect: (h) => {
      hooks = h;
      // kafkajs joins (and assigns) before `connect` resolves.
      assigned = h.onAssignment([{ topic: "t", partitions: [0] }], "m-1");
      return Promise.resolve(consumer);
    },
  });
  assert.equal(await connect(), consumer);
  await assigned;
  assert.deepEqual(consumer.seeks, ["t/0@500"]);
  assert.deepEqual(recorded, ["m-1"]);
  assert.equal(membership.member, "m-1");
  hooks!.onRestart("m-1");
  assert.equal(membership.member, undefined);
  assert.deepEqual(await membership.settled(), [true]); // the former member was removed
});

Deno.test("resumingConnect() rejects as connect does, and the hook does not hang", async () => {
  const membership = new GroupMembership({ group: "g", evict: () => Promise.resolve("removed") });
  let assigned: Promise<void> | undefined;
  const connect = resumingConnect({
    group: "g",
    offsets: offsetsPort({}),
    checkpoint: () => [at(0, 1)],
    membership,
    connect: (h) => {
      assigned = h.onAssignment([{ topic: "t", partitions: [0] }], "m-1");
      return Promise.reject(new Error("broker unreachable"));
    },
  });
  await assert.rejects(connect(), /broker unreachable/);
  await assert.rejects(assigned!, /broker unreachable/);
});
