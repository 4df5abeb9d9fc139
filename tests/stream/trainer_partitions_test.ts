/**
 * The trainer on several partitions, in process: however the partitions' records interleave
 * and however they are cut into batches — with a checkpoint, a restart and a redelivery in the
 * middle — every event is trained exactly once, and each partition's rows are bitwise the rows
 * the featurize stage computes from that partition's records alone.
 */
import assert from "node:assert/strict";
import { encodeEvent } from "../../src/events/schema.ts";
import { Random } from "../../src/util/random.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { featureRows, FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { type SourceRecord, Trainer } from "../../src/stream/trainer.ts";

const PARTITIONS = 3;
const PER_PARTITION = 4000;
const enc = new TextEncoder();
/** Every 301st record of each partition is not JSON. */
const isBad = (offset: number) => offset % 301 === 17;

/** Partition `p`'s records: its own generator (so sessions live in one partition), some bad. */
function partitionRecords(p: number): SourceRecord[] {
  // A small, slow pool: sessions go idle (event time) and the store's cap is reached.
  const g = new SessionGenerator({
    seed: 40 + p,
    maxActiveSessions: 400,
    simulatedEventsPerSecond: 1,
  });
  return Array.from({ length: PER_PARTITION }, (_, offset) => ({
    topic: "t",
    partition: p,
    offset,
    key: null,
    value: isBad(offset) ? enc.encode("{bad") : encodeEvent(g.next()),
  }));
}

const byPartition = Array.from({ length: PARTITIONS }, (_, p) => partitionRecords(p));
const STORE = { idleSeconds: 300, maxSessions: 100 };

/** One interleaving of the partitions, each partition's order kept. */
function interleave(seed: number): SourceRecord[] {
  const random = new Random(seed);
  const next = new Array(PARTITIONS).fill(0);
  const out: SourceRecord[] = [];
  while (out.length < PARTITIONS * PER_PARTITION) {
    const p = random.nextInt(PARTITIONS);
    if (next[p] < PER_PARTITION) out.push(byPartition[p][next[p]++]);
  }
  return out;
}

/** Row contents, partition by partition: every number of every row, and the session ids. */
class RowLog {
  numbers: number[][] = Array.from({ length: PARTITIONS }, () => []);
  sessions: string[][] = Array.from({ length: PARTITIONS }, () => []);
  add(rows: RowBatch): void {
    for (let i = 0; i < rows.length; i++) {
      const p = rows.partition[i];
      this.numbers[p].push(
        rows.offset[i],
        rows.kind[i],
        rows.action[i],
        rows.reason[i],
        rows.amount[i],
        rows.userId[i],
        rows.eventTime[i],
        ...rows.denseRow(i),
      );
      this.sessions[p].push(rows.sessionId[i]);
    }
  }
  bits(p: number): Uint8Array {
    return new Uint8Array(new Float64Array(this.numbers[p]).buffer);
  }
}

/** The index of the first byte where `a` and `b` differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** What the featurize stage computes from each partition alone. */
const alone = new RowLog();
for (let p = 0; p < PARTITIONS; p++) {
  const rows = new RowBatch(featureRows());
  new FeaturizeStage({ sessions: STORE }).featurize(byPartition[p], rows);
  alone.add(rows);
}

const validEvents =
  byPartition.flat().filter((r) => r.value![0] === 0x7b && r.value![1] !== 0x62).length;

Deno.test("Trainer on several partitions: each event trained once, each partition's rows its own alone", async (t) => {
  for (const [seed, sizes] of [[1, [5000]], [2, [1, 333, 2000]], [3, [700]]] as const) {
    await t.step(`interleaving ${seed}, batches of ${sizes.join("/")}`, async () => {
      const input = interleave(seed);
      const log = new RowLog();
      const make = (restore?: ReturnType<Trainer["state"]>) =>
        new Trainer({ topic: "t", learner: { store: STORE }, restore, onRows: (r) => log.add(r) });
      let trainer = make();
      let done = 0;
      for (let k = 0; done < input.length; k++) {
        const size = sizes[k % sizes.length];
        if (k === 3) {
          // A checkpoint, a restart, and a redelivery of what came since an earlier point.
          trainer = make(JSON.parse(JSON.stringify(trainer.state())));
          await trainer.processBatch(input.slice(Math.max(0, done - 1500), done));
        }
        await trainer.processBatch(input.slice(done, done + size));
        done += size;
      }
      const s = trainer.snapshot;
      assert.equal(s.eventsTrained, validEvents);
      assert.equal(s.cumulative.events, validEvents);
      assert.equal(
        Object.values(s.badRecords).reduce((a, b) => a + b, 0),
        PARTITIONS * PER_PARTITION - validEvents,
      );
      assert.deepEqual(
        trainer.offsets.map((o) => [o.partition, o.offset]),
        [[0, PER_PARTITION], [1, PER_PARTITION], [2, PER_PARTITION]],
      );
      for (let p = 0; p < PARTITIONS; p++) {
        assert.equal(log.numbers[p].length, alone.numbers[p].length, `partition ${p}'s rows`);
        assert.equal(firstDifference(log.bits(p), alone.bits(p)), -1, `partition ${p}'s rows`);
        assert.deepStrictEqual(log.sessions[p], alone.sessions[p]);
      }
      const state = trainer.state().featurize.partitions;
      assert.ok(state.every((p) => p.sessions.expired > 0), "sessions expired in event time");
      assert.ok(state.every((p) => p.sessions.evicted > 0), "the cap evicted sessions");
    });
  }
});
