/**
 * When the featurizer's snapshots are written, without Kafka: nothing before the interval is
 * started or while it runs; then only the held partitions that moved on since they were given or
 * last saved, each written once with chunks that decode back to its state.
 */
import assert from "node:assert/strict";
import { FeaturizeStage, type PartitionFeatureState } from "../../src/stream/featurize_stage.ts";
import { SnapshotAssembler, type SnapshotChunk } from "../../src/stream/session_snapshot.ts";
import { SnapshotSaver } from "../../src/stream/snapshot_saver.ts";

const enc = new TextEncoder();

/** A featurizer probe: held partitions with a settable next offset. */
function probe(nexts: Map<number, number>) {
  const stage = new FeaturizeStage();
  return {
    get partitions() {
      return [...nexts.keys()];
    },
    next: (p: number) => nexts.get(p)!,
    snapshot: (p: number): PartitionFeatureState => ({
      ...stage.partitionState(p),
      next: nexts.get(p)!,
    }),
    featureSetId: 1,
  };
}

Deno.test("snapshots are written once due, only for partitions that moved on", async () => {
  const nexts = new Map([[0, 10], [1, 20]]);
  const written: [number, SnapshotChunk[]][] = [];
  const saved: number[] = [];
  const saver = new SnapshotSaver({
    featurizer: probe(nexts),
    intervalMs: 0,
    write: (partition, chunks) => {
      written.push([partition, chunks]);
      return Promise.resolve();
    },
    onSaved: (p) => saved.push(p),
  });
  saver.given([0, 1]);
  await saver.saveIfDue();
  assert.equal(written.length, 0, "not started: nothing is due");
  saver.start();
  await saver.saveIfDue();
  assert.equal(written.length, 0, "neither partition moved past where it was given");
  assert.equal(saver.savedAt(0), undefined);
  nexts.set(1, 25);
  await saver.saveIfDue();
  assert.deepEqual(written.map(([p]) => p), [1]);
  assert.deepEqual(saved, [1]);
  assert.equal(typeof saver.savedAt(1), "number");
  assert.equal(saver.savedAt(0), undefined);
  await saver.saveIfDue();
  assert.equal(written.length, 1, "partition 1 was saved at 25 and has not moved since");

  const assembler = new SnapshotAssembler({ keep: 2 });
  written[0][1].forEach((c) =>
    assembler.add({
      key: enc.encode(c.key),
      value: c.value,
      headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, enc.encode(v)])),
    })
  );
  const back = await assembler.newest(1);
  assert.equal(back?.state.featureSet, 1);
  assert.equal(back?.state.partitions[0].next, 25);
});

Deno.test("within the interval nothing is written", async () => {
  const nexts = new Map([[3, 5]]);
  let writes = 0;
  const saver = new SnapshotSaver({
    featurizer: probe(nexts),
    intervalMs: 3_600_000,
    write: () => {
      writes++;
      return Promise.resolve();
    },
  });
  saver.start();
  await saver.saveIfDue();
  assert.equal(writes, 0);
});
