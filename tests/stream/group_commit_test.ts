import assert from "node:assert/strict";
import { GroupCommitter } from "../../src/stream/group_commit.ts";
import type { TopicOffset } from "../../src/stream/seek_rule.ts";

Deno.test("GroupCommitter waits for its consumer, reports a failure and a recovery once each", async () => {
  const lines: string[] = [];
  const committed: TopicOffset[][] = [];
  let down = false;
  const commits = new GroupCommitter((l) => lines.push(l));
  const offsets = [{ topic: "t", partition: 0, offset: 5 }];
  const early = commits.commit(offsets);
  commits.attach({
    commit: (o) =>
      down ? Promise.reject(new Error("broker away")) : (committed.push([...o]), Promise.resolve()),
  });
  await early;
  down = true;
  await commits.commit(offsets);
  await commits.commit(offsets);
  assert.equal(commits.failing, true);
  down = false;
  await commits.commit(offsets);
  assert.equal(commits.failing, false);
  assert.deepEqual(committed, [offsets, offsets]);
  assert.deepEqual(lines, [
    "warning: committing group offsets failed (broker away); the checkpoint holds the offsets, the next batch commits again",
    "committing group offsets works again",
  ]);
});
