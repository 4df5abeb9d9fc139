/**
 * The follower of `<topic>.sessions` without Kafka: a lookup waits until the partition is read to
 * the end it was asked for, gives up after its bound (and says so), and returns at once when the
 * reading has ended.
 */
import assert from "node:assert/strict";
import { FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { encodeSnapshot } from "../../src/stream/session_snapshot.ts";
import { SnapshotFollower, type SnapshotRecord } from "../../src/stream/snapshot_follower.ts";

const enc = new TextEncoder();

/** A source whose records are pushed by the test, ended by `end()`. */
function pushed() {
  const queue: SnapshotRecord[] = [];
  let wake: (() => void) | undefined, ended = false;
  const source: AsyncIterable<SnapshotRecord> = {
    async *[Symbol.asyncIterator]() {
      while (true) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((r) => wake = r);
      }
    },
  };
  return {
    source,
    push(r: SnapshotRecord) {
      queue.push(r);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

async function chunksAt(partition: number, offset: number): Promise<SnapshotRecord[]> {
  const state = { ...new FeaturizeStage().partitionState(partition), next: 0 };
  const chunks = await encodeSnapshot({ ...state, next: 100 }, 1, 32);
  return chunks.map((c, i) => ({
    partition,
    offset: offset + i,
    key: enc.encode(c.key),
    value: c.value,
    headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, enc.encode(v)])),
  }));
}

Deno.test("a lookup waits until the partition is read to its end, then gives the snapshot", async () => {
  const src = pushed();
  const f = new SnapshotFollower();
  const following = f.follow(src.source);
  const chunks = await chunksAt(4, 0);
  const lookup = f.restore(4, chunks.length, 60_000);
  for (const c of chunks) src.push(c);
  const got = await lookup;
  assert.equal(got.caughtUp, true);
  assert.equal(got.snapshot?.offset, 100);
  assert.equal(f.read(4), chunks.length);
  src.end();
  await following;
});

Deno.test("a lookup gives up after its bound, and returns at once once reading has ended", async () => {
  const src = pushed();
  const f = new SnapshotFollower();
  const following = f.follow(src.source);
  const slow = await f.restore(1, 5, 0);
  assert.deepEqual(slow, { snapshot: undefined, caughtUp: false });
  const waiting = f.restore(1, 5, 60_000);
  src.end();
  await following;
  assert.deepEqual(await waiting, { snapshot: undefined, caughtUp: false });
  assert.deepEqual(await f.restore(2, 0, 60_000), { snapshot: undefined, caughtUp: true });
});
