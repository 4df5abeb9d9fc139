/**
 * `ConsumerOffsets`: processed offsets count only on assigned partitions, a commit carries
 * exactly the ones that moved, and a new assignment or a seek forgets what is no longer ours.
 *
 * @module
 */

import assert from "node:assert/strict";
import { partKey } from "../../src/kafka/consumed_record.ts";
import { type CommitRequest, ConsumerOffsets } from "../../src/kafka/consumer_offsets.ts";

/** Commits through a probe that records each request. */
async function commitAll(offsets: ConsumerOffsets): Promise<CommitRequest[]> {
  const requests: CommitRequest[] = [];
  await offsets.commitProcessed((request) => {
    requests.push(request);
    return Promise.resolve();
  });
  return requests;
}

Deno.test("ConsumerOffsets commits the processed offsets of its partitions once each", async () => {
  const offsets = new ConsumerOffsets();
  offsets.assign([{ topic: "t", partitions: [2, 0] }, { topic: "u", partitions: [1] }]);
  assert.deepEqual(offsets.assignment(), [
    { topic: "t", partitions: [0, 2] },
    { topic: "u", partitions: [1] },
  ]);
  offsets.markProcessed(partKey("t", 0), "t", 0, 4);
  offsets.markProcessed(partKey("t", 0), "t", 0, 3); // lower: no step back
  offsets.markProcessed(partKey("u", 1), "u", 1, 0);
  offsets.markProcessed(partKey("t", 9), "t", 9, 7); // not assigned: ignored
  assert.equal(offsets.next(partKey("t", 0)), 5);
  assert.equal(offsets.next(partKey("t", 9)), undefined);
  assert.deepEqual(await commitAll(offsets), [{
    topics: [
      { topic: "t", partitions: [{ partition: 0, offset: "5" }] },
      { topic: "u", partitions: [{ partition: 1, offset: "1" }] },
    ],
  }]);
  assert.deepEqual(await commitAll(offsets), [], "nothing moved: no request");
  offsets.markProcessed(partKey("u", 1), "u", 1, 1);
  assert.deepEqual(await commitAll(offsets), [{
    topics: [{ topic: "u", partitions: [{ partition: 1, offset: "2" }] }],
  }]);
});

Deno.test("ConsumerOffsets forgets partitions given away and seeks, and hands out copies", async () => {
  const offsets = new ConsumerOffsets();
  offsets.assign([{ topic: "t", partitions: [0, 1] }]);
  offsets.markProcessed(partKey("t", 0), "t", 0, 10);
  offsets.markProcessed(partKey("t", 1), "t", 1, 20);
  const copy = offsets.processedOffsets();
  copy[0].offset = 99;
  assert.deepEqual(offsets.processedOffsets(), [
    { topic: "t", partition: 0, offset: 11 },
    { topic: "t", partition: 1, offset: 21 },
  ]);
  offsets.assign([{ topic: "t", partitions: [1] }]);
  assert.deepEqual(offsets.processedOffsets(), [{ topic: "t", partition: 1, offset: 21 }]);
  offsets.markCommitted(partKey("t", 1), 21);
  assert.deepEqual(await commitAll(offsets), [], "committed elsewhere (commit(offsets))");
  offsets.forget(partKey("t", 1));
  assert.deepEqual(offsets.processedOffsets(), []);
  assert.equal(offsets.next(partKey("t", 1)), undefined);
});
