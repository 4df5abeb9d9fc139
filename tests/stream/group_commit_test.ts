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
  const later = [{ topic: "t", partition: 0, offset: 6 }];
  await commits.commit(later);
  await commits.commit(later);
  assert.equal(commits.failing, true);
  down = false;
  await commits.commit(later);
  assert.equal(commits.failing, false);
  assert.deepEqual(committed, [offsets, later]);
  assert.deepEqual(lines, [
    "warning: committing group offsets failed (broker away); the checkpoint holds the offsets, the next batch commits again",
    "committing group offsets works again",
  ]);
});

Deno.test("GroupCommitter sends the offsets of its last commit again only after resendMs, or after a failed one", async () => {
  const committed: TopicOffset[][] = [];
  let down = false;
  let clock = 0;
  const commits = new GroupCommitter(() => {}, { resendMs: 5000, now: () => clock });
  commits.attach({
    commit: (o) =>
      down ? Promise.reject(new Error("broker away")) : (committed.push([...o]), Promise.resolve()),
  });
  const a = [{ topic: "t", partition: 0, offset: 5 }, { topic: "t", partition: 1, offset: 7 }];
  const b = [{ topic: "t", partition: 0, offset: 5 }, { topic: "t", partition: 1, offset: 8 }];
  const other = [{ topic: "u", partition: 0, offset: 5 }, { topic: "t", partition: 1, offset: 8 }];
  await commits.commit(a);
  await commits.commit([...a]); // the same offsets: not sent
  await commits.commit(b);
  await commits.commit(b);
  await commits.commit(other); // another topic: sent
  down = true;
  await commits.commit(a); // fails
  down = false;
  await commits.commit(a); // the failed one again: sent
  clock = 4999;
  await commits.commit(a);
  clock = 5000; // resendMs since the last send: sent again (a commit kafkajs dropped comes again)
  await commits.commit(a);
  await commits.commit(a);
  await commits.commit(a, { force: true }); // a clean stop's last commit: sent
  assert.deepEqual(committed, [a, b, other, a, a, a]);
});
