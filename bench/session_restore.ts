/**
 * The restore time of one partition's session snapshot (`session_snapshot.ts`, docs/design.md
 * "Session snapshots"): a partition with 100k live sessions (the session store's default cap) is
 * featurized, its state encoded into chunks as `featurize` writes them to `<topic>.sessions`,
 * and then — as a new owner does — the chunks are assembled, checked (SHA-256), parsed and
 * restored into a featurize stage. Prints the snapshot's size and the time of each step (median
 * of a few rounds). No Kafka: the bytes on the wire are the chunks timed here.
 *
 * ```sh
 * deno run -A bench/session_restore.ts [sessions]   # default 100000
 * ```
 *
 * @module
 */

import { encodeEvent } from "../src/events/schema.ts";
import { SessionStore } from "../src/learn/session_store.ts";
import { FeaturizeStage } from "../src/stream/featurize_stage.ts";
import { GroupFeaturizer } from "../src/stream/group_featurizer.ts";
import type { SourceRecord } from "../src/stream/records.ts";
import { RowBatch } from "../src/stream/row_batch.ts";
import { encodeSnapshot, SnapshotAssembler } from "../src/stream/session_snapshot.ts";

const sessions = Number(Deno.args[0] ?? 100_000);
if (!Number.isSafeInteger(sessions) || sessions < 1) {
  throw new RangeError(`Expected a number of sessions ≥ 1, got ${Deno.args[0]}`);
}
const ROUNDS = 5;
const ACTIONS = ["view", "click", "scroll"] as const;

// Two events per session, all within the idle timeout: `sessions` live sessions at the end.
const records: SourceRecord[] = [];
const t0 = 1_700_000_000;
for (let i = 0; i < 2 * sessions; i++) {
  const s = i % sessions;
  const event = {
    user_id: 1 + (s % 100_000),
    url: `/products?${s.toString(36)}`,
    session_id: `s-${s}`,
    timestamp: t0 + Math.floor(i / 200),
    action: ACTIONS[i % 3],
  };
  records.push({ topic: "t", partition: 0, offset: i, key: null, value: encodeEvent(event) });
}
const stage = new FeaturizeStage();
for (let i = 0; i < records.length; i += 20_000) {
  stage.featurize(records.slice(i, i + 20_000), new RowBatch(stage.rows));
}
const live = SessionStore.fromJSON(stage.partitionState(0).sessions, stage.featureSet.layout).size;

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = { encode: [] as number[], assemble: [] as number[], restore: [] as number[] };
let bytes = 0, chunks = 0;
for (let round = 0; round < ROUNDS; round++) {
  let t = performance.now();
  const written = await encodeSnapshot(stage.livePartitionState(0), stage.featureSet.id);
  times.encode.push(performance.now() - t);
  chunks = written.length;
  bytes = written.reduce((n, c) => n + c.value.length, 0);
  const enc = new TextEncoder();
  const read = written.map((c) => ({
    key: enc.encode(c.key),
    value: c.value.slice(),
    headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, enc.encode(v)])),
  }));
  t = performance.now();
  const a = new SnapshotAssembler();
  for (const r of read) a.add(r);
  const snap = await a.newest(0);
  times.assemble.push(performance.now() - t);
  if (snap === undefined) throw new Error("the snapshot did not assemble");
  t = performance.now();
  const owner = new GroupFeaturizer();
  owner.assign([{ partition: 0, low: 0, committed: -1, snapshot: snap.state.partitions[0] }], 0);
  times.restore.push(performance.now() - t);
  if (owner.next(0) !== records.length) throw new Error("the restored state is not at the end");
}
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(
  `session snapshot of one partition: ${live} live sessions, ${
    (bytes / 1e6).toFixed(1)
  } MB in ${chunks} chunks`,
);
console.log(
  `median of ${ROUNDS}: encode + SHA-256 ${ms(median(times.encode))}; assemble + verify + decode ${
    ms(median(times.assemble))
  }; restore into the stage ${ms(median(times.restore))}; restore in all ${
    ms(median(times.assemble) + median(times.restore))
  }`,
);
