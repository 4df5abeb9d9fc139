/**
 * Session snapshots without Kafka: chunking below a size, the header of every chunk, and which
 * snapshot a new owner restores — the newest complete one whose checksum holds; a torn, mixed or
 * corrupt chunk set is passed over for an older one, and with none there is nothing to restore.
 * And that a featurizer restored from a snapshot goes on to write the very rows one that read
 * the whole partition writes.
 */
import assert from "node:assert/strict";
import { encodeEvent } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { featureRows, FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { GroupFeaturizer } from "../../src/stream/group_featurizer.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { SessionStore } from "../../src/learn/session_store.ts";
import { encodeRows } from "../../src/stream/row_codec.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import {
  encodeSnapshot,
  parseHeader,
  type ReadChunk,
  sessionsTopic,
  SNAPSHOT_FORMAT,
  SnapshotAssembler,
  type SnapshotChunk,
} from "../../src/stream/session_snapshot.ts";
import { testSeed } from "../_helpers/seed.ts";

const enc = new TextEncoder();

/** `n` records of partition `partition` from the seeded generator. */
function records(n: number, partition: number, seed: number): SourceRecord[] {
  const generator = new SessionGenerator({ seed });
  return Array.from({ length: n }, (_, offset) => ({
    topic: "t",
    partition,
    offset,
    key: null,
    value: encodeEvent(generator.next()),
  }));
}

/** A stage that has featurized `log`. */
function stageOver(log: SourceRecord[]): FeaturizeStage {
  const stage = new FeaturizeStage();
  stage.featurize(log, new RowBatch(stage.rows));
  return stage;
}

/** A written chunk as a consumer reads it back. */
function read(chunk: SnapshotChunk): ReadChunk {
  const headers: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(chunk.headers)) headers[k] = enc.encode(v);
  return { key: enc.encode(chunk.key), value: chunk.value.slice(), headers };
}

Deno.test("the topic of snapshots is <topic>.sessions", () => {
  assert.equal(sessionsTopic("clicks"), "clicks.sessions");
});

Deno.test("a snapshot is cut into chunks below the size, each with the whole header", async () => {
  const stage = stageOver(records(2000, 3, testSeed("snapshot-chunks")));
  const state = stage.partitionState(3);
  const chunks = await encodeSnapshot(state, stage.featureSet.id, 64);
  const bytes = Number(chunks[0].headers["snapshot-bytes"]);
  assert.equal(chunks.length, Math.ceil(bytes / 64));
  assert.equal(chunks.reduce((n, c) => n + c.value.length, 0), bytes);
  assert.ok(chunks.length > 1);
  for (const [i, c] of chunks.entries()) {
    assert.ok(c.value.length <= 64 && c.value.length > 0);
    assert.equal(c.key, `3:${i}`);
    const h = parseHeader(read(c).headers);
    assert.ok(typeof h !== "string", String(h));
    assert.deepEqual([h.format, h.partition, h.offset, h.chunk, h.chunks], [
      SNAPSHOT_FORMAT,
      3,
      2000,
      i,
      chunks.length,
    ]);
  }
  await assert.rejects(() => encodeSnapshot(state, 1, 0), /0-byte chunks/);
});

Deno.test("the newest complete snapshot is restored, equal to the state saved", async () => {
  const log = records(3000, 0, testSeed("snapshot-newest"));
  const older = stageOver(log.slice(0, 1000)).partitionState(0);
  const newer = stageOver(log).partitionState(0);
  const a = new SnapshotAssembler();
  for (const c of await encodeSnapshot(older, 1, 3000)) a.add(read(c));
  for (const c of await encodeSnapshot(newer, 1, 3000)) a.add(read(c));
  const got = await a.newest(0);
  assert.equal(got?.offset, 3000);
  assert.ok(got?.state.partitions[0].sessions instanceof SessionStore);
  assert.deepEqual(JSON.parse(JSON.stringify(got?.state.partitions[0])), newer);
  assert.equal(await a.newest(1), undefined);
  assert.deepEqual(a.rejected, []);
});

Deno.test("a torn, corrupt or mixed newest snapshot gives the older one, or none", async () => {
  const log = records(3000, 2, testSeed("snapshot-torn"));
  const older = await encodeSnapshot(stageOver(log.slice(0, 1000)).partitionState(2), 1, 256);
  const newer = await encodeSnapshot(stageOver(log).partitionState(2), 1, 256);
  assert.ok(newer.length >= 3);

  // A chunk missing (the writer died midway).
  const torn = new SnapshotAssembler();
  for (const c of older) torn.add(read(c));
  for (const c of newer.slice(0, -1)) torn.add(read(c));
  assert.equal((await torn.newest(2))?.offset, 1000);
  assert.match(torn.rejected[0].reason, /missing/);

  // A flipped byte.
  const corrupt = new SnapshotAssembler();
  for (const c of older) corrupt.add(read(c));
  for (const c of newer) {
    const r = read(c);
    if (c.key === "2:1") r.value![7] ^= 1;
    corrupt.add(r);
  }
  assert.equal((await corrupt.newest(2))?.offset, 1000);
  assert.match(corrupt.rejected[0].reason, /SHA-256/);

  // Only the torn one: nothing to restore (replay from the start).
  const none = new SnapshotAssembler();
  for (const c of newer.slice(1)) none.add(read(c));
  assert.equal(await none.newest(2), undefined);

  // Not a snapshot chunk at all: passed over with the reason.
  const junk = new SnapshotAssembler();
  junk.add({ key: null, value: enc.encode("x"), headers: {} });
  junk.add({ key: null, value: null, headers: {} });
  assert.equal(await junk.newest(2), undefined);
  assert.equal(junk.rejected.length, 1);
  assert.match(junk.rejected[0].reason, /format/);
});

Deno.test("only the newest few snapshots of a partition are kept while reading", async () => {
  const log = records(500, 0, testSeed("snapshot-keep"));
  const a = new SnapshotAssembler({ keep: 2 });
  for (const n of [100, 200, 300, 400]) {
    for (const c of await encodeSnapshot(stageOver(log.slice(0, n)).partitionState(0), 1)) {
      a.add(read(c));
    }
  }
  assert.equal((await a.newest(0))?.offset, 400);
  assert.throws(() => new SnapshotAssembler({ keep: 0 }), /keep 0/);
});

/** Each row of `rows` as its bytes in the feature log. */
function rowBytes(rows: RowBatch): string[] {
  return Array.from({ length: rows.length }, (_, i) => encodeRows(rows, i, i + 1).join(","));
}

Deno.test("a new owner restored from a snapshot writes the rows of one that read it all", async () => {
  const log = records(4000, 1, testSeed("snapshot-owner"));
  const whole = new RowBatch(featureRows());
  new FeaturizeStage().featurize(log, whole);

  // The first owner featurizes 2500 records and saves a snapshot at 2500.
  const first = new GroupFeaturizer();
  first.assign([{ partition: 1, low: 0, committed: -1 }], 0);
  first.featurize(log.slice(0, 2500), 0, new RowBatch(featureRows()));
  const a = new SnapshotAssembler();
  for (const c of await encodeSnapshot(first.snapshot(1), first.featureSetId, 10_000)) {
    a.add(read(c));
  }
  const snap = await a.newest(1);
  assert.equal(snap?.offset, 2500);

  // The next owner: committed 3000 (rows to 3000 in the log); it reads from 2500, suppresses
  // 2500..2999, and writes from 3000 exactly what the whole-partition stage wrote.
  const next = new GroupFeaturizer();
  const seeks = next.assign(
    [{ partition: 1, low: 0, committed: 3000, snapshot: snap!.state.partitions[0] }],
    0,
  );
  assert.deepEqual(seeks, [{ partition: 1, offset: 2500 }]);
  const out = new RowBatch(featureRows());
  const result = next.featurize(log.slice(2500), 0, out);
  assert.deepEqual([result.suppressed, result.emitted], [500, 1000]);
  assert.deepEqual(rowBytes(out), rowBytes(whole).slice(3000));

  // A snapshot below the log start is of no use: read from the start.
  const late = new GroupFeaturizer();
  assert.deepEqual(
    late.assign([{ partition: 1, low: 2600, committed: 3000, snapshot: first.snapshot(1) }], 0),
    [{ partition: 1, offset: 2600 }],
  );
  assert.throws(
    () =>
      new GroupFeaturizer().assign(
        [{ partition: 2, low: 0, committed: -1, snapshot: first.snapshot(1) }],
        0,
      ),
    /snapshot of partition 1/,
  );
});

Deno.test("a snapshot of version 1 (its body as JSON) is passed over: the owner replays", async () => {
  const state = stageOver(records(300, 0, testSeed("snapshot-v1"))).partitionState(0);
  const a = new SnapshotAssembler();
  for (const c of await encodeSnapshot(state, 1)) {
    a.add(read({ ...c, headers: { ...c.headers, "snapshot-version": "1" } }));
  }
  assert.equal(await a.newest(0), undefined);
  assert.match(a.rejected[0].reason, /version 1 is not 2/);
});
