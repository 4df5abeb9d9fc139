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

/** A reader made of pushed records, closable, recording whether it was closed. */
function reader() {
  const src = pushed();
  let closed = false;
  return {
    ...src,
    get closed() {
      return closed;
    },
    source: {
      [Symbol.asyncIterator]: () => src.source[Symbol.asyncIterator](),
      close() {
        closed = true;
        src.end();
        return Promise.resolve();
      },
    },
  };
}

Deno.test("keepFollowing replaces a reader that ends, and a lookup gets what the next one reads", async () => {
  const readers = [reader(), reader()];
  const opened: number[] = [];
  const f = new SnapshotFollower();
  const stop = new AbortController();
  const retries: string[] = [];
  const following = f.keepFollowing(() => {
    opened.push(f.read(3));
    return Promise.resolve(readers[opened.length - 1].source);
  }, {
    initialDelayMs: 0,
    signal: stop.signal,
    onRetry: (error, attempt) => retries.push(`${attempt}: ${error.name}`),
  });
  const old = await chunksAt(3, 0);
  for (const c of old) readers[0].push(c);
  assert.equal((await f.restore(3, old.length, 60_000)).snapshot?.offset, 100);
  readers[0].end(); // the consumer went away under the follower
  const state = { ...new FeaturizeStage().partitionState(3), next: 0 };
  const newer = (await encodeSnapshot({ ...state, next: 250 }, 1, 32)).map((c, i) => ({
    partition: 3,
    offset: old.length + i,
    key: enc.encode(c.key),
    value: c.value,
    headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, enc.encode(v)])),
  }));
  const lookup = f.restore(3, old.length + newer.length, 60_000);
  for (const c of newer) readers[1].push(c);
  const got = await lookup;
  assert.equal(got.caughtUp, true);
  assert.equal(got.snapshot?.offset, 250);
  // The second reader was opened once, after the first had read its chunks (it goes on there).
  assert.deepEqual(opened, [0, old.length]);
  assert.deepEqual(retries, ["1: SnapshotReaderEndedError"]);
  assert.equal(readers[0].closed, true);
  assert.equal(f.records, old.length + newer.length);
  stop.abort();
  await following;
  assert.equal(readers[1].closed, true, "stopping closes the reader in use");
});

Deno.test("keepFollowing gives up after maxAttempts that read nothing, and lookups then return", async () => {
  const f = new SnapshotFollower();
  let opens = 0;
  const retries: number[] = [];
  await assert.rejects(
    f.keepFollowing(() => {
      opens++;
      return Promise.reject(new Error(`the broker is down (${opens})`));
    }, { maxAttempts: 4, initialDelayMs: 0, onRetry: (_e, attempt) => retries.push(attempt) }),
    { message: "the broker is down (4)" },
  );
  assert.equal(opens, 4);
  assert.deepEqual(retries, [1, 2, 3]);
  assert.deepEqual(await f.restore(0, 10, 60_000), { snapshot: undefined, caughtUp: false });
});

Deno.test("keepFollowing counts again after a reader that read something", async () => {
  const f = new SnapshotFollower();
  const chunks = await chunksAt(0, 0);
  let opens = 0;
  const stop = new AbortController();
  // Every reader fails; every other one reads a chunk first. With maxAttempts 3 it never gives
  // up: a reader that read something counts as the first attempt, the one after it as the second.
  const following = f.keepFollowing(() => {
    opens++;
    const n = opens;
    return Promise.resolve({
      async *[Symbol.asyncIterator]() {
        if (n % 2 === 1 && n <= 2 * chunks.length) yield chunks[(n - 1) / 2];
        if (n >= 2 * chunks.length + 1) {
          stop.abort();
          return;
        }
        throw new Error(`reader ${n} failed`);
      },
      close: () => Promise.resolve(),
    });
  }, { maxAttempts: 3, initialDelayMs: 0, signal: stop.signal });
  await following;
  assert.equal(opens, 2 * chunks.length + 1);
  assert.equal(f.records, chunks.length);
  assert.equal((await f.restore(0, chunks.length, 0)).snapshot?.offset, 100);
});
