/**
 * The learn stage fed from a feature log, without Kafka: the model version and the per-partition
 * view, repeats in the log, batch boundaries, a checkpoint round trip, and what it refuses.
 */
import assert from "node:assert/strict";
import { encodeEvent } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { weightsJson } from "../../src/http/views.ts";
import { CheckpointFormatError, CheckpointStore } from "../../src/stream/checkpoint.ts";
import { featureRows, FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import {
  FeatureLogLearner,
  type FeatureLogRecord,
  FeatureLogRecordError,
  LEARNER_CHECKPOINT,
  type LearnerState,
  LearnModeError,
  RESET_REFUSAL,
} from "../../src/stream/log_learner.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { packRows, ROW_FORMAT_VERSION, type RowFormatVersion } from "../../src/stream/row_codec.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";
import { Trainer } from "../../src/stream/trainer.ts";
import { learnerModel } from "./_learner_model.ts";

const P = 3;
const enc = new TextEncoder();

/** `n` records over P partitions (sessions stay on one), every 50th bad. */
function input(n: number): { records: SourceRecord[]; valid: number[]; ends: number[] } {
  const generator = new SessionGenerator({ seed: 8 });
  const ends = new Array(P).fill(0), valid = new Array(P).fill(0);
  const home = new Map<string, number>();
  const records: SourceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const e = generator.next();
    let p = home.get(e.session_id);
    if (p === undefined) home.set(e.session_id, p = home.size % P);
    const bad = i % 50 === 7;
    if (!bad) valid[p]++;
    records.push({
      topic: "in",
      partition: p,
      offset: ends[p]++,
      key: null,
      value: bad ? enc.encode("nope") : encodeEvent(e),
    });
  }
  return { records, valid, ends };
}

/** The feature log of `records`: featurized in chunks, packed 300 rows a record. */
function featureLog(
  records: readonly SourceRecord[],
  chunk = 1000,
  version: RowFormatVersion = ROW_FORMAT_VERSION,
): Uint8Array[] {
  const stage = new FeaturizeStage();
  const values: Uint8Array[] = [];
  for (let i = 0; i < records.length; i += chunk) {
    const rows = new RowBatch(featureRows());
    stage.featurize(records.slice(i, i + chunk), rows);
    values.push(...packRows(rows, { maxRows: 300, version }));
  }
  return values;
}

const asLog = (values: readonly Uint8Array[], from = 0): FeatureLogRecord[] =>
  values.map((value, i) => ({ offset: from + i, value }));

async function learnAll(
  learner: FeatureLogLearner,
  log: readonly FeatureLogRecord[],
  size: number,
) {
  for (let i = 0; i < log.length; i += size) await learner.processBatch(log.slice(i, i + size));
}

const { records, valid, ends } = input(12_000);
const values = featureLog(records);
const log = asLog(values);

Deno.test("the model version is the feature-log offset learnt up to; each partition's count and next offset", async () => {
  const learner = new FeatureLogLearner({ topic: "in" });
  assert.equal(learner.modelVersion, 0);
  assert.equal(learner.snapshot.modelVersion, 0);
  // A fresh replica resumes from offset 0 (the seek rule moves a group that is further back),
  // never from whatever group offset it meets: its model is of the whole log.
  assert.deepEqual(learner.offsets, [{ topic: "in.features", partition: 0, offset: 0 }]);
  await learnAll(learner, log.slice(0, 10), 4);
  assert.equal(learner.modelVersion, 10);
  await learnAll(learner, log.slice(10), 7);
  assert.equal(learner.modelVersion, log.length);
  assert.deepEqual(learner.offsets, [{ topic: "in.features", partition: 0, offset: log.length }]);
  assert.deepEqual(
    learner.sources,
    valid.map((v, p) => ({ partition: p, eventsTrained: v, nextOffset: ends[p] })),
  );
  const body = weightsJson(learner.snapshot, Date.now());
  assert.equal(body.model_version, log.length);
  assert.deepEqual(
    body.sources,
    valid.map((v, p) => ({ partition: p, events_trained: v, next_offset: ends[p] })),
  );
  assert.equal(body.events_trained, valid.reduce((a, b) => a + b, 0));
  assert.equal(
    Object.values(body.bad_records).reduce((a, b) => a + b, 0),
    records.length - body.events_trained,
  );
});

Deno.test("the same rows as train's learn stage give train's model, whatever the batch boundaries", async () => {
  const trainer = new Trainer({ topic: "in" });
  for (let i = 0; i < records.length; i += 2500) {
    await trainer.processBatch(records.slice(i, i + 2500));
  }
  const t = trainer.snapshot;
  for (const size of [1, 5, 13, log.length]) {
    const learner = new FeatureLogLearner({ topic: "in" });
    await learnAll(learner, log, size);
    assert.deepEqual(learnerModel(learner), {
      weights: t.weights,
      intercept: t.intercept,
      updates: t.updates,
      events: t.eventsTrained,
      logLoss: t.cumulative.logLoss,
      auc: t.cumulative.auc,
    }, `batches of ${size} records`);
    assert.deepEqual(learner.snapshot.badRecords, t.badRecords);
  }
  assert.equal(weightsJson(t, Date.now()).model_version, undefined, "train shows no model version");
});

Deno.test("a log of version-1 records, then version-2 ones (featurizers upgraded mid-log), learns the same model", async () => {
  const older = featureLog(records, 1000, 1);
  assert.equal(older.length, values.length, "the same runs of rows per record");
  const half = Math.floor(values.length / 2);
  const mixed = new FeatureLogLearner({ topic: "in" });
  await learnAll(mixed, asLog([...older.slice(0, half), ...values.slice(half)]), 5);
  const current = new FeatureLogLearner({ topic: "in" });
  await learnAll(current, log, 5);
  assert.ok(older[0].byteLength > values[0].byteLength, "version 2 is the smaller");
  assert.deepEqual(learnerModel(mixed), learnerModel(current));
  assert.deepEqual(mixed.sources, current.sources);
});

Deno.test("repeated rows in the log (a featurizer's replay, a second writer) change nothing but the skip count", async () => {
  const straight = new FeatureLogLearner({ topic: "in" });
  await learnAll(straight, log, 6);
  // The log with a stretch written twice, the second time later and in other records.
  const stretch = records.filter((r) => r.partition === 1).slice(100, 1400);
  const again = featureLogFrom(stretch, records);
  const doubled = asLog([...values.slice(0, 20), ...again, ...values.slice(20)]);
  const learner = new FeatureLogLearner({ topic: "in" });
  await learnAll(learner, doubled, 6);
  assert.deepEqual(learnerModel(learner), learnerModel(straight));
  assert.deepEqual(learner.sources, straight.sources);
  assert.equal(learner.snapshot.skippedRecords - straight.snapshot.skippedRecords, 1300);
  assert.equal(learner.modelVersion, doubled.length);
});

/** The rows of `these` as a featurize stage that saw all of `all` before them writes them. */
function featureLogFrom(
  these: readonly SourceRecord[],
  all: readonly SourceRecord[],
): Uint8Array[] {
  const stage = new FeaturizeStage();
  const first = these[0];
  const rows = new RowBatch(featureRows());
  stage.featurize(
    all.filter((r) => r.partition === first.partition && r.offset < first.offset),
    rows,
  );
  rows.clear();
  stage.featurize(these, rows);
  return packRows(rows, { maxRows: 500 });
}

Deno.test("a restored learner goes on exactly where the checkpoint left it", async () => {
  const straight = new FeatureLogLearner({ topic: "in" });
  await learnAll(straight, log, 9);
  const first = new FeatureLogLearner({ topic: "in" });
  await learnAll(first, log.slice(0, 17), 9);
  const state: LearnerState = JSON.parse(JSON.stringify(first.state()));
  assert.equal(state.featureLog.offset, 17);
  const second = new FeatureLogLearner({ topic: "in", restore: state });
  assert.equal(second.modelVersion, 17);
  await learnAll(second, log.slice(12), 9); // redelivered from before the checkpoint, too
  assert.deepEqual(learnerModel(second), learnerModel(straight));
  assert.deepEqual(second.sources, straight.sources);
});

Deno.test("learn refuses what would make replicas differ, and records that are not rows", async (t) => {
  await t.step("the seed mode", () => {
    assert.throws(
      () => new FeatureLogLearner({ topic: "in", learner: { mode: "seed" } }),
      (e: unknown) =>
        e instanceof LearnModeError && /mode "seed".*batch boundaries/.test(e.message),
    );
  });
  await t.step("a state of another topic", () => {
    const state = new FeatureLogLearner({ topic: "in" }).state();
    assert.throws(
      () => new FeatureLogLearner({ topic: "other", restore: state }),
      /learnt topic "in" from "in.features", not "other" from "other.features"/,
    );
  });
  await t.step("POST /reset, answered with the reason; a checkpoint goes through", async () => {
    const saved: LearnerState[] = [];
    const learner = new FeatureLogLearner({
      topic: "in",
      checkpoint: (state) => {
        saved.push(state());
        return Promise.resolve(5);
      },
    });
    await learner.processBatch(log.slice(0, 3));
    const reset = learner.admin({ type: "reset" });
    const checkpoint = learner.admin({ type: "checkpoint" });
    await learner.processBatch([]);
    assert.deepEqual(await reset, { ok: false, message: RESET_REFUSAL });
    assert.equal((await checkpoint).ok, true);
    assert.equal(saved.at(-1)?.featureLog.offset, 3);
    assert.equal(learner.snapshot.eventsTrained > 0, true, "the model is untouched");
  });
  await t.step("a record that holds no rows, naming its offset; the state stays", async () => {
    const learner = new FeatureLogLearner({ topic: "in" });
    await learner.processBatch(log.slice(0, 2));
    const before = JSON.stringify(learner.state());
    await assert.rejects(
      () =>
        learner.processBatch([log[2], {
          offset: 3,
          value: enc.encode('{"user_id":1,"url":"/x","action":"view"}'),
        }]),
      (e: unknown) =>
        e instanceof FeatureLogRecordError && e.offset === 3 &&
        /in\.features at offset 3: .*not the rows' magic/.test(e.message),
    );
    assert.equal(JSON.stringify(learner.state()), before);
    assert.equal(learner.modelVersion, 2);
  });
});

Deno.test("learn's checkpoints are refused by train, and train's by learn, naming the format", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const learner = new FeatureLogLearner({ topic: "in" });
    await learner.processBatch(log.slice(0, 2));
    await new CheckpointStore<LearnerState>(dir, { format: LEARNER_CHECKPOINT }).save(
      learner.state(),
    );
    await assert.rejects(
      () => new CheckpointStore(dir).loadLatest(),
      (e: unknown) =>
        e instanceof CheckpointFormatError &&
        /a clickstream-learn-checkpoint file, written by another command; this one reads clickstream-checkpoint/
          .test(e.message),
    );
    const back = await new CheckpointStore<LearnerState>(dir, { format: LEARNER_CHECKPOINT })
      .loadLatest();
    assert.equal(back?.state.featureLog.offset, 2);
    const other = await Deno.makeTempDir();
    try {
      const trainer = new Trainer({ topic: "in" });
      await trainer.processBatch(records.slice(0, 10));
      await new CheckpointStore(other).save(trainer.state());
      await assert.rejects(
        () => new CheckpointStore<LearnerState>(other, { format: LEARNER_CHECKPOINT }).loadLatest(),
        CheckpointFormatError,
      );
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
