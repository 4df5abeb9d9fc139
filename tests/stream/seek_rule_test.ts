import assert from "node:assert/strict";
import { seekDecisions, seeksFor, type TopicOffset } from "../../src/stream/seek_rule.ts";

const at = (partition: number, offset: number, topic = "t"): TopicOffset => ({
  topic,
  partition,
  offset,
});

Deno.test("seek rule: each case of one partition", async (t) => {
  const assignment = [{ topic: "t", partitions: [0] }];
  const cases: [string, TopicOffset[], TopicOffset[], number | null][] = [
    ["missing: no group offset → the checkpoint's", [at(0, 500)], [], 500],
    ["missing: Kafka's -1 → the checkpoint's", [at(0, 500)], [at(0, -1)], 500],
    ["ahead: the group past the checkpoint → back to it", [at(0, 500)], [at(0, 800)], 500],
    ["behind: the group before the checkpoint → left alone", [at(0, 500)], [at(0, 200)], null],
    ["equal → left alone", [at(0, 500)], [at(0, 500)], null],
    ["new: not in the checkpoint → left alone", [], [at(0, 300)], null],
    ["new, and no group offset either → left alone", [], [], null],
  ];
  for (const [name, checkpoint, committed, seekTo] of cases) {
    await t.step(name, () => {
      const [decision] = seekDecisions(assignment, checkpoint, committed);
      assert.equal(decision.reason, name.split(/[: ,]/)[0]);
      assert.equal(decision.seekTo, seekTo);
      assert.deepEqual(
        seeksFor(assignment, checkpoint, committed),
        seekTo === null ? [] : [at(0, seekTo)],
      );
    });
  }
});

Deno.test("seek rule: a revoked partition gets no decision, the others theirs", () => {
  const checkpoint = [at(0, 10), at(1, 20), at(2, 30), at(3, 40)];
  const committed = [at(0, 10), at(1, 25), at(2, 5)];
  const assignment = [{ topic: "t", partitions: [1, 2, 3, 4] }]; // 0 went to another member
  assert.deepEqual(
    seekDecisions(assignment, checkpoint, committed).map((d) => [d.partition, d.reason, d.seekTo]),
    [[1, "ahead", 20], [2, "behind", null], [3, "missing", 40], [4, "new", null]],
  );
  assert.deepEqual(seeksFor([], checkpoint, committed), []);
});

Deno.test("seek rule: topics are kept apart (a consumer of any topic, or of several)", () => {
  const checkpoint = [at(0, 100, "events"), at(0, 7, "events.features")];
  const committed = [at(0, 900, "events.features"), at(0, 100, "events")];
  assert.deepEqual(
    seeksFor(
      [{ topic: "events", partitions: [0] }, { topic: "events.features", partitions: [0] }],
      checkpoint,
      committed,
    ),
    [at(0, 7, "events.features")],
  );
  assert.deepEqual(seeksFor([{ topic: "other", partitions: [0] }], checkpoint, committed), []);
});
