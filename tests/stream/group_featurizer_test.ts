/**
 * The featurize stage as a group member, without Kafka: what it emits, suppresses and drops on
 * each kind of assignment, what it may commit, and — in a simulation of several featurizers that
 * hand partitions to each other at random moments, with writes still in flight when a partition
 * moves — that the feature log de-duplicated by source holds exactly the rows one featurize stage
 * computes over each whole partition, bit for bit.
 */
import assert from "node:assert/strict";
import { encodeEvent } from "../../src/events/schema.ts";
import { Random } from "../../src/util/random.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { featureRows, FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { GroupFeaturizer } from "../../src/stream/group_featurizer.ts";
import { OffsetLedger } from "../../src/stream/offset_ledger.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { encodeRows } from "../../src/stream/row_codec.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { testSeed } from "../_helpers/seed.ts";

const enc = new TextEncoder();

/** `n` events of the seeded generator spread over `partitions` by session, with bad records. */
function partitionLogs(n: number, partitions: number, seed: number): SourceRecord[][] {
  const generator = new SessionGenerator({ seed });
  const logs: SourceRecord[][] = Array.from({ length: partitions }, () => []);
  const home = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const event = generator.next();
    let p = home.get(event.session_id);
    if (p === undefined) home.set(event.session_id, p = home.size % partitions);
    const log = logs[p];
    const value = i % 97 === 5 ? enc.encode("{not json") : encodeEvent(event);
    log.push({ topic: "t", partition: p, offset: log.length, key: null, value });
  }
  return logs;
}

/** Each row of `rows` as its bytes in the feature log (every column, bit for bit). */
function rowBytes(rows: RowBatch): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < rows.length; i++) {
    out.set(`${rows.partition[i]}:${rows.offset[i]}`, encodeRows(rows, i, i + 1).join(","));
  }
  return out;
}

/** The rows one featurize stage writes over the whole of each partition. */
function reference(logs: SourceRecord[][]): Map<string, string> {
  const rows = new RowBatch(featureRows());
  new FeaturizeStage().featurize(logs.flat(), rows);
  return rowBytes(rows);
}

Deno.test("a fresh partition is read from its start; rows below the committed offset are suppressed", () => {
  const [log] = partitionLogs(500, 1, 3);
  const expected = reference([log]);
  const f = new GroupFeaturizer();
  assert.deepEqual(f.assign([{ partition: 0, low: 0, committed: 200 }], 0), [
    { partition: 0, offset: 0 },
  ]);
  assert.equal(f.suppressBelow(0), 200);
  const out = new RowBatch(featureRows());
  const first = f.featurize(log.slice(0, 300), 0, out);
  assert.deepEqual([first.emitted, first.suppressed, first.dropped], [100, 200, 0]);
  assert.equal(out.offset[0], 200);
  const rest = f.featurize(log.slice(300), 300, out);
  assert.equal(rest.emitted, 200);
  const bad = log.slice(300).filter((r) => new TextDecoder().decode(r.value!) === "{not json");
  assert.ok(bad.length > 0);
  assert.deepEqual(rest.deadLetters.map((d) => d.record), bad);
  const got = rowBytes(out);
  assert.equal(got.size, 300);
  for (const [key, bytes] of got) assert.equal(bytes, expected.get(key), `row ${key}`);
  assert.deepEqual(f.commitOffsets(), [{ partition: 0, offset: 500 }]);
  f.committed([{ partition: 0, offset: 500 }]);
  assert.deepEqual(f.commitOffsets(), []);
});

Deno.test("a revoked partition stops at once: its state is dropped and its records ignored", () => {
  const logs = partitionLogs(400, 2, 4);
  const f = new GroupFeaturizer();
  f.assign([{ partition: 0, low: 0, committed: -1 }, { partition: 1, low: 0, committed: -1 }], 0);
  const out = new RowBatch(featureRows());
  f.featurize([...logs[0].slice(0, 10), ...logs[1].slice(0, 10)], 0, out);
  assert.deepEqual(f.commitOffsets(), [{ partition: 0, offset: 10 }, { partition: 1, offset: 10 }]);
  f.assign([{ partition: 0, low: 0, committed: 10 }], 20);
  assert.deepEqual(f.partitions, [0]);
  assert.equal(f.next(1), 0);
  out.clear();
  const r = f.featurize([...logs[0].slice(10, 20), ...logs[1].slice(10, 20)], 20, out);
  assert.deepEqual([r.emitted, r.dropped], [10, 10]);
  assert.deepEqual([...new Set(out.partition.subarray(0, out.length))], [0]);
  assert.deepEqual(f.commitOffsets(), [{ partition: 0, offset: 20 }]);
});

Deno.test("a kept partition goes on from its own next offset, suppressing what the group moved past", () => {
  const [log] = partitionLogs(300, 1, 5);
  const expected = reference([log]);
  const f = new GroupFeaturizer();
  f.assign([{ partition: 0, low: 0, committed: -1 }], 0);
  const out = new RowBatch(featureRows());
  f.featurize(log.slice(0, 100), 0, out);
  // Meanwhile another member had the partition and got to 150: read on from 100, emit from 150.
  assert.deepEqual(f.assign([{ partition: 0, low: 0, committed: 150 }], 100), [
    { partition: 0, offset: 100 },
  ]);
  const r = f.featurize(log.slice(100), 100, out);
  assert.deepEqual([r.emitted, r.suppressed], [150, 50]);
  for (const [key, bytes] of rowBytes(out)) assert.equal(bytes, expected.get(key), `row ${key}`);
});

Deno.test("records handed out before an assignment that gives a partition afresh are dropped", () => {
  const [log] = partitionLogs(300, 1, 6);
  const expected = reference([log]);
  const f = new GroupFeaturizer();
  f.assign([{ partition: 0, low: 0, committed: -1 }], 0);
  const out = new RowBatch(featureRows());
  f.featurize(log.slice(0, 50), 0, out);
  // Records 50..79 are in the batch in progress (positions 50..79) when the partition is revoked
  // and, before that batch is featurized, given back: it starts over from its first offset.
  f.assign([], 80);
  assert.deepEqual(f.assign([{ partition: 0, low: 0, committed: 50 }], 80), [
    { partition: 0, offset: 0 },
  ]);
  out.clear();
  const r = f.featurize([...log.slice(50, 80), ...log], 50, out);
  assert.deepEqual([r.dropped, r.suppressed, r.emitted], [30, 50, 250]);
  for (const [key, bytes] of rowBytes(out)) assert.equal(bytes, expected.get(key), `row ${key}`);
});

Deno.test("assign refuses offsets that are not integers, naming the partition", () => {
  const f = new GroupFeaturizer();
  assert.throws(
    () => f.assign([{ partition: 3, low: 0.5, committed: 1 }], 0),
    /partition 3: low offset 0.5/,
  );
  assert.throws(() => f.assign([], -1), /stream position -1/);
});

/** One featurizer process of the simulation: its member state and its Kafka view. */
interface Member {
  featurizer: GroupFeaturizer;
  /** Records handed out so far (the stream position). */
  pulled: number;
  /** Where each assigned partition is read from next. */
  reading: Map<number, number>;
  /** Records pulled but not featurized yet (the batch in progress), from position `bufferAt`. */
  buffer: SourceRecord[];
  bufferAt: number;
  /** The batch written but not acknowledged yet. */
  inFlight: RowBatch | null;
}

Deno.test("featurizers handing partitions over at random moments write, de-duplicated by source, exactly one featurize stage's rows", async (t) => {
  const seed = testSeed("group featurizer handovers");
  const P = 5, MEMBERS = 3;
  const logs = partitionLogs(6000, P, 11);
  const expected = reference(logs);
  for (let run = 0; run < 8; run++) {
    await t.step(`run ${run} (seed ${seed})`, () => {
      const random = new Random(seed + run);
      const committed = new Map<number, number>();
      const members: Member[] = Array.from({ length: MEMBERS }, () => ({
        featurizer: new GroupFeaturizer(),
        pulled: 0,
        reading: new Map(),
        buffer: [],
        bufferAt: 0,
        inFlight: null,
      }));
      const log = new RowBatch(featureRows()); // the feature log, in write order
      const append = (rows: RowBatch) => {
        for (let i = 0; i < rows.length; i++) {
          log.reserve(1);
          const j = log.length++;
          log.kind[j] = rows.kind[i];
          log.partition[j] = rows.partition[i];
          log.offset[j] = rows.offset[i];
          log.sessionId[j] = rows.sessionId[i];
          const [from, to] = rows.sparseExtent(i);
          log.reserve(0, to - from);
          for (let k = from; k < to; k++) {
            log.sparseIndex[log.sparseLength] = rows.sparseIndex[k];
            log.sparseValue[log.sparseLength++] = rows.sparseValue[k];
          }
          log.sparseEnd[j] = log.sparseLength;
          for (
            const column of ["action", "reason", "eventTime", "amount", "userId", "truth"] as const
          ) {
            log[column][j] = rows[column][i];
          }
          log.dense.set(rows.denseRow(i), j * log.denseWidth);
        }
      };
      const ack = (m: Member) => {
        if (m.inFlight === null) return;
        append(m.inFlight);
        m.inFlight = null;
        const offsets = m.featurizer.commitOffsets();
        for (const o of offsets) {
          // Commits never pass what is acknowledged: the log has every row below.
          committed.set(o.partition, Math.max(committed.get(o.partition) ?? -1, o.offset));
        }
        m.featurizer.committed(offsets);
      };
      const rebalance = () => {
        const owner = Array.from({ length: P }, () => random.nextInt(MEMBERS));
        for (const [i, m] of members.entries()) {
          const mine = owner.flatMap((o, p) => o === i ? [p] : []);
          const seeks = m.featurizer.assign(
            mine.map((p) => ({ partition: p, low: 0, committed: committed.get(p) ?? -1 })),
            m.pulled,
          );
          m.reading = new Map(seeks.map((s) => [s.partition, s.offset]));
        }
      };
      rebalance();
      const done = () =>
        members.every((m) => m.inFlight === null && m.buffer.length === 0) &&
        [...Array(P).keys()].every((p) => committed.get(p) === logs[p].length);
      for (let step = 0; step < 20_000 && !done(); step++) {
        const m = members[random.nextInt(MEMBERS)];
        const action = random.nextInt(100);
        if (action < 2) {
          if (step < 12_000) rebalance();
        } else if (action < 50) {
          // Pull a few records of an assigned partition into the batch in progress.
          const parts = [...m.reading.keys()];
          if (parts.length === 0) continue;
          const p = parts[random.nextInt(parts.length)];
          const from = m.reading.get(p)!;
          const got = logs[p].slice(from, from + 1 + random.nextInt(60));
          if (m.buffer.length === 0) m.bufferAt = m.pulled;
          m.buffer.push(...got);
          m.pulled += got.length;
          m.reading.set(p, from + got.length);
        } else if (action < 80 && m.inFlight === null && m.buffer.length > 0) {
          const out = new RowBatch(featureRows());
          m.featurizer.featurize(m.buffer, m.bufferAt, out);
          m.buffer = [];
          m.inFlight = out;
        } else ack(m);
      }
      assert.ok(done(), `the simulation finished: committed ${JSON.stringify([...committed])}`);
      // The learner's rule: a row is new iff its offset is at or past its partition's next.
      const ledger = new OffsetLedger().begin();
      const learnt = new RowBatch(featureRows());
      let repeats = 0;
      for (let i = 0; i < log.length; i++) {
        if (!ledger.accept(log.partition[i], log.offset[i])) {
          repeats++;
          continue;
        }
        assert.equal(
          encodeRows(log, i, i + 1).join(","),
          expected.get(`${log.partition[i]}:${log.offset[i]}`),
          `row ${log.partition[i]}:${log.offset[i]}`,
        );
        learnt.addDeadLetter(log.partition[i], log.offset[i], 0);
      }
      assert.equal(learnt.length, 6000, `every record learnt once (${repeats} repeats skipped)`);
    });
  }
});
