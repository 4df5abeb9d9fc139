/**
 * Restoring fresh partitions without Kafka: a real {@linkcode SnapshotFollower} over pushed
 * chunks; a snapshot of the featurizer's feature set is taken, one of another set and a partition
 * not read in time are left to replay, each with a line saying why.
 */
import assert from "node:assert/strict";
import { FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { encodeSnapshot } from "../../src/stream/session_snapshot.ts";
import { SnapshotFollower, type SnapshotRecord } from "../../src/stream/snapshot_follower.ts";
import { restoreSnapshots } from "../../src/stream/snapshot_restore.ts";

const enc = new TextEncoder();

async function chunksAt(
  partition: number,
  featureSet: number,
  next: number,
): Promise<SnapshotRecord[]> {
  const state = { ...new FeaturizeStage().partitionState(partition), next };
  const chunks = await encodeSnapshot(state, featureSet, 32);
  return chunks.map((c, i) => ({
    partition,
    offset: i,
    key: enc.encode(c.key),
    value: c.value,
    headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, enc.encode(v)])),
  }));
}

function sourceOf(records: SnapshotRecord[]): AsyncIterable<SnapshotRecord> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* records;
    },
  };
}

Deno.test("a snapshot of the feature set is restored; another set's is replayed, and said so", async () => {
  const mine = await chunksAt(4, 1, 100);
  const other = await chunksAt(5, 2, 80);
  const follower = new SnapshotFollower();
  await follower.follow(sourceOf([...mine, ...other]));
  const lines: string[] = [];
  const restored: number[] = [];
  const got = await restoreSnapshots({
    follower,
    topic: "t.sessions",
    partitions: [4, 5, 6],
    ends: new Map([[4, mine.length], [5, other.length]]),
    featureSetId: 1,
    waitMs: 60_000,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
    onRestored: (p) => restored.push(p),
  });
  assert.deepEqual([...got.keys()], [4]);
  assert.equal(got.get(4)?.next, 100);
  assert.deepEqual(restored, [4]);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^restored partition 4 from its snapshot at offset 100 /);
  assert.match(lines[1], /partition 5 is of feature set 2, not 1; replaying it from its start/);
});

Deno.test("a partition not read in time is replayed from its start, with a warning naming it", async () => {
  const follower = new SnapshotFollower();
  const lines: string[] = [];
  const got = await restoreSnapshots({
    follower,
    topic: "t.sessions",
    partitions: [7],
    ends: new Map([[7, 5]]),
    featureSetId: 1,
    waitMs: 0,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
  });
  assert.equal(got.size, 0);
  assert.deepEqual(lines, [
    "warning: t.sessions partition 7 not read in time; replaying it from its start",
  ]);
});
