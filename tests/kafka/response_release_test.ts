/**
 * `ResponseRelease` through `BatchQueue` (`recycleResponses`): a batch's part of a response
 * settles only when the batch is retired (taken to its end, dropped by a seek, given up) and its
 * last record handed out is released; a response with parts of several batches comes back with
 * the last of them; a record the queue did not hand out releases nothing; a queue without
 * recycling claims no part.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BatchQueue } from "../../src/kafka/batch_queue.ts";
import { type ConsumedRecord, NO_HEADERS, partKey } from "../../src/kafka/consumed_record.ts";
import { pendingBatch } from "../../src/kafka/pending_batch.ts";
import { RecordColumns } from "../../src/kafka/record_columns.ts";
import { claimPart, notePart, ResponseLease, ResponsePool } from "../../src/kafka/response_pool.ts";

const MiB = 1 << 20;

function record(partition: number, offset: number): ConsumedRecord {
  return {
    topic: "t",
    partition,
    offset,
    key: null,
    value: new Uint8Array([offset]),
    headers: NO_HEADERS,
    timestamp: 0,
  };
}

/** A batch of partition `p`, offsets `from`.. (`n` records), holding `lease`. */
function batch(p: number, from: number, n: number, lease: ResponseLease | undefined) {
  const records = Array.from({ length: n }, (_, i) => record(p, from + i));
  return pendingBatch("t", p, partKey("t", p), records, lease);
}

/** A pooled response of `parts` parts, and each part's claimed lease. */
function response(pool: ResponsePool, parts: number): ResponseLease[] {
  const bytes = pool.take(2 * MiB);
  return Array.from({ length: parts }, (_, i) => {
    const columns = new RecordColumns(bytes.subarray(i * 100, i * 100 + 100), 0);
    notePart(columns);
    return claimPart(columns)!;
  });
}

Deno.test("a part settles when its batch is retired and its last record released", () => {
  const pool = new ResponsePool();
  const queue = new BatchQueue(true, 100, true);
  const release = queue.release!;
  const [p1, p2] = response(pool, 2);
  const [p3] = response(pool, 1);
  queue.push(batch(0, 0, 3, p1));
  queue.push(batch(1, 0, 2, p2));
  const taken = [queue.take()!, queue.take()!, queue.take()!];
  release.release(taken[2]);
  assert.equal(release.waiting, 0);
  assert.equal(pool.counts().released, 0, "the batch is not retired yet");
  taken.push(queue.take()!); // the first batch retires: its last record was released
  assert.equal(pool.counts().released, 0, "the response's other part is held");
  taken.push(queue.take()!);
  release.release(taken[3]);
  queue.push(batch(0, 3, 2, p3));
  taken.push(queue.take()!); // the second batch retires; its last record is not released
  assert.equal(release.waiting, 1);
  assert.equal(pool.counts().released, 0);
  release.release(record(1, 1)); // not handed out by this queue: nothing
  release.release(taken[0]); // before what was released: nothing
  assert.equal(pool.counts().released, 0);
  release.release(taken[4]);
  assert.equal(release.waiting, 0);
  assert.deepEqual(pool.counts(), { taken: 2, reused: 0, released: 1 });
  assert.equal(taken[5].offset, 3);
  // A seek drops the third batch with one record handed out and not released.
  queue.dropPartition("t", 0);
  assert.equal(release.waiting, 1);
  assert.equal(queue.take(), undefined);
  release.release(taken[5]);
  assert.deepEqual(pool.counts(), { taken: 2, reused: 0, released: 2 });
  assert.deepEqual(taken.map((r) => `${r.partition}:${r.offset}`), [
    "0:0",
    "0:1",
    "0:2",
    "1:0",
    "1:1",
    "0:3",
  ]);
});

Deno.test("batches given up settle after the release of what was handed out before", () => {
  const pool = new ResponsePool();
  const queue = new BatchQueue(true, 100, true);
  const [p1] = response(pool, 1);
  const [p2] = response(pool, 1);
  queue.push(batch(0, 0, 3, p1));
  queue.push(batch(0, 3, 3, p2)); // read ahead, nothing of it handed out
  const first = queue.take()!;
  const second = queue.take()!;
  queue.abortAll(); // a rebalance
  assert.equal(queue.release!.waiting, 1, "the batch handed out from waits for its release");
  assert.equal(pool.counts().released, 1, "the batch nothing was handed out of settles at once");
  queue.abortAll(); // again: nothing settles twice
  queue.release!.release(first);
  assert.equal(queue.release!.waiting, 1, "its last record handed out is not released yet");
  assert.equal(pool.counts().released, 1);
  queue.release!.release(second);
  assert.equal(queue.release!.waiting, 0);
  assert.deepEqual(pool.counts(), { taken: 2, reused: 0, released: 2 });
});

Deno.test("a queue without recycling hands out the same records and claims no part", () => {
  const pool = new ResponsePool();
  const queue = new BatchQueue(true, 100);
  assert.equal(queue.release, undefined);
  const [p1] = response(pool, 1);
  queue.push(batch(0, 0, 2, undefined), { messages: [] });
  queue.push(batch(0, 2, 1, p1));
  assert.deepEqual([queue.take()?.offset, queue.take()?.offset, queue.take()?.offset], [0, 1, 2]);
  queue.abortAll();
  assert.equal(pool.counts().released, 0);
});

Deno.test("a caller that stops releasing holds at most 64 retired parts", () => {
  const pool = new ResponsePool(100);
  const queue = new BatchQueue(true, 100, true);
  const taken: ConsumedRecord[] = [];
  for (let i = 0; i < 70; i++) {
    queue.push(batch(0, i, 1, response(pool, 1)[0]));
    taken.push(queue.take()!);
  }
  queue.abortAll();
  assert.equal(queue.release!.waiting, 64);
  queue.release!.release(taken[69]);
  assert.equal(queue.release!.waiting, 0);
  assert.equal(pool.counts().released, 64, "the 6 oldest were let go, unsettled");
});
