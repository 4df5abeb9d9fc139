/** The learn stage driven by rows alone: no Kafka, no JSON, no events. */
import assert from "node:assert/strict";
import { BatchLearner } from "../../src/learn/batch_learner.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { DEFAULT_FEATURE_SET } from "../../src/learn/feature_sets.ts";
import { POSITION_FEATURES } from "../../src/learn/position_features.ts";
import { Random } from "../../src/util/random.ts";
import { LearnStage } from "../../src/stream/learn_stage.ts";
import { featureRows } from "../../src/stream/featurize_stage.ts";
import { modelShape } from "../../src/learn/feature_set.ts";
import { ACTION_PURCHASE, actionCode, reasonCode, RowBatch } from "../../src/stream/row_batch.ts";

const FEATURE_COUNT = DEFAULT_FEATURE_SET.width;
const SCHEMA = featureRows(DEFAULT_FEATURE_SET);
const SPARSE = SCHEMA.sparseWidth ?? 0;

/** `n` synthetic event rows of partition `p` from offset `from`: features and an action. */
function eventRows(rows: RowBatch, p: number, from: number, n: number, seed = 1) {
  const random = new Random(seed + p * 1000 + from);
  for (let i = 0; i < n; i++) {
    const x = random.next() * 4;
    const purchase = random.next() < 0.1 + 0.05 * x;
    const r = rows.addEvent(
      p,
      from + i,
      purchase ? ACTION_PURCHASE : actionCode("view"),
      purchase ? 10 + i : 0,
      100 + (i % 5),
      `s${i % 7}`,
      1_764_000_000 + i,
    );
    const row = rows.denseRow(r);
    for (let j = 0; j < FEATURE_COUNT; j++) row[j] = x * (j + 1) / 8 + random.next() * 0.1;
    if (SPARSE > 0) rows.addSparse(random.nextInt(SPARSE), purchase ? 1 : -1);
  }
}

/** Rows `from .. from + n` of `rows`, as a batch of their own. */
function slice(rows: RowBatch, from: number, n: number): RowBatch {
  const out = new RowBatch(SCHEMA);
  for (let i = from; i < from + n; i++) {
    const r = out.addEvent(
      rows.partition[i],
      rows.offset[i],
      rows.action[i],
      rows.amount[i],
      rows.userId[i],
      rows.sessionId[i],
      rows.eventTime[i],
    );
    out.denseRow(r).set(rows.denseRow(i));
    const [from, to] = rows.sparseExtent(i);
    for (let k = from; k < to; k++) out.addSparse(rows.sparseIndex[k], rows.sparseValue[k]);
  }
  return out;
}

Deno.test("LearnStage learns event rows exactly as the learner learns the same feature rows", () => {
  const rows = new RowBatch(SCHEMA);
  eventRows(rows, 0, 0, 500);
  rows.addDeadLetter(0, 500, reasonCode("not_json"));
  eventRows(rows, 1, 0, 300);
  const stage = new LearnStage({ topic: "t", learner: { mode: "adagrad" } });
  const learned = stage.learn(rows, { predictions: true });
  assert.deepEqual([learned.rows, learned.events, learned.bad, learned.skipped], [801, 800, 1, 0]);
  assert.deepEqual(stage.offsets, []); // nothing moves before complete()
  stage.complete(learned, 3);
  assert.deepEqual(stage.offsets, [
    { topic: "t", partition: 0, offset: 501 },
    { topic: "t", partition: 1, offset: 300 },
  ]);
  assert.equal(stage.eventsTrained, 800);
  assert.equal(stage.batchId, 0);
  assert.equal(stage.skippedRecords, 3);
  assert.deepEqual({ ...stage.badRecords }, { not_json: 1 });

  const direct = new BatchLearner({ mode: "adagrad", ...modelShape(DEFAULT_FEATURE_SET) });
  const batch = new FeatureBatch(FEATURE_COUNT, { sparseWidth: SPARSE });
  for (let i = 0; i < rows.length; i++) {
    if (rows.kind[i] !== 0) continue;
    const j = batch.add();
    batch.rows.set(rows.denseRow(i), j * FEATURE_COUNT);
    const [from, to] = rows.sparseExtent(i);
    for (let k = from; k < to; k++) batch.addSparse(rows.sparseIndex[k], rows.sparseValue[k]);
    batch.labels[j] = rows.action[i] === ACTION_PURCHASE ? 1 : 0;
  }
  direct.learn(batch);
  assert.deepStrictEqual(stage.learner.toJSON(), direct.toJSON());
  assert.deepStrictEqual(learned.predictions.map((p) => p.score), [
    ...batch.scores.subarray(0, 800),
  ]);
  const p = learned.predictions[501];
  assert.deepEqual(
    [p.topic, p.partition, p.offset, p.userId, p.sessionId, p.timestamp, p.modelVersion],
    ["t", 1, 1, 101, "s1", 1_764_000_001, 501],
  );
});

Deno.test("LearnStage accepts a row iff its source offset is at least the next expected one", () => {
  const stage = new LearnStage({ topic: "t" });
  const rows = new RowBatch(SCHEMA);
  eventRows(rows, 0, 0, 100);
  stage.complete(stage.learn(rows));
  const before = JSON.stringify(stage.learner.toJSON());
  rows.clear();
  eventRows(rows, 0, 50, 50); // a repeat of 50..99: all covered
  const repeat = stage.learn(rows);
  assert.deepEqual([repeat.rows, repeat.skipped], [0, 50]);
  stage.complete(repeat);
  assert.equal(JSON.stringify(stage.learner.toJSON()), before);
  assert.equal(stage.batchId, 0); // no rows: no batch
  rows.clear();
  eventRows(rows, 0, 90, 20); // 90..109: the first ten are covered
  const overlap = stage.learn(rows);
  assert.deepEqual([overlap.rows, overlap.skipped], [10, 10]);
  stage.complete(overlap);
  assert.equal(stage.eventsTrained, 110);
  assert.equal(stage.skippedRecords, 60);
  assert.deepEqual(stage.offsets, [{ topic: "t", partition: 0, offset: 110 }]);
});

Deno.test("LearnStage aggregates purchases from the rows' user ids and amounts", () => {
  const stage = new LearnStage({ topic: "t" });
  const rows = new RowBatch(SCHEMA);
  rows.addEvent(0, 0, ACTION_PURCHASE, 12.5, 42, "a", 1_764_000_000);
  rows.addEvent(0, 1, actionCode("click"), 0, 42, "a", 1_764_000_001);
  rows.addEvent(0, 2, ACTION_PURCHASE, 7.25, 42, "a", 1_764_000_002);
  rows.addEvent(0, 3, ACTION_PURCHASE, 1, 9, "b", 1_764_000_003);
  stage.complete(stage.learn(rows));
  assert.deepEqual(stage.purchases.top(10), [
    { userId: 42, purchases: 2, amount: 19.75 },
    { userId: 9, purchases: 1, amount: 1 },
  ]);
});

Deno.test("LearnStage restores from its state and continues exactly; a reset keeps the offsets", () => {
  const all = new RowBatch(SCHEMA);
  eventRows(all, 0, 0, 400);
  const first = slice(all, 0, 150), second = slice(all, 150, 250);
  const straight = new LearnStage({ topic: "t", learner: { mode: "ftrl" } });
  straight.complete(straight.learn(all));
  const a = new LearnStage({ topic: "t", learner: { mode: "ftrl" } });
  a.complete(a.learn(first));
  const b = new LearnStage({
    topic: "t",
    learner: { mode: "ftrl" },
    restore: structuredClone(a.state()),
  });
  b.complete(b.learn(second));
  assert.deepStrictEqual(b.learner.toJSON(), straight.learner.toJSON());
  const version = b.version;
  b.reset();
  assert.ok(b.version > version);
  assert.equal(b.learner.model.updates, 0);
  assert.deepEqual(b.offsets, [{ topic: "t", partition: 0, offset: 400 }]);
});

Deno.test("LearnStage refuses rows of another feature set or width, naming them", () => {
  const stage = new LearnStage({ topic: "t" });
  assert.throws(
    () => stage.learn(new RowBatch({ featureSet: DEFAULT_FEATURE_SET.id, denseWidth: 3 })),
    /width 3/,
  );
  assert.throws(() => stage.learn(new RowBatch({ featureSet: 7, denseWidth: 6 })), /feature set 7/);
  assert.throws(
    () => stage.learn(new RowBatch({ featureSet: 1, denseWidth: 8 })),
    /rows of feature set 1 \(width 8, sparse 0\): the model is of feature set 4 \("shop", width 32, sparse 4096\)/,
  );
});

Deno.test("LearnStage restores only a state of its own feature set", () => {
  const rows = new RowBatch(SCHEMA);
  eventRows(rows, 0, 0, 50);
  const stage = new LearnStage({ topic: "t" });
  stage.complete(stage.learn(rows));
  const state = JSON.parse(JSON.stringify(stage.state()));
  assert.equal(state.featureSet, 4);
  assert.deepEqual(new LearnStage({ topic: "t", restore: state }).state(), state);
  assert.throws(
    () => new LearnStage({ topic: "t", featureSet: POSITION_FEATURES, restore: state }),
    /learnt from feature set "shop" \(id 4\), this stage learns from "position" \(id 1\)/,
  );
  // A state whose model has other features than its id says is refused too.
  assert.throws(
    () => new LearnStage({ topic: "t", restore: { ...state, featureSet: 1 } }),
    /feature set "position"/,
  );
  const lying = structuredClone(state);
  lying.featureSet = 1;
  assert.throws(
    () => new LearnStage({ topic: "t", featureSet: POSITION_FEATURES, restore: lying }),
    /the model's features .* are not/,
  );
});

Deno.test("LearnStage keeps events learnt per input partition beside its next offset", () => {
  const stage = new LearnStage({ topic: "t" });
  const rows = new RowBatch(SCHEMA);
  eventRows(rows, 2, 0, 30);
  rows.addDeadLetter(0, 0, reasonCode("not_json"));
  eventRows(rows, 0, 1, 20);
  eventRows(rows, 2, 30, 5);
  eventRows(rows, 2, 10, 5); // a repeat: not counted twice
  const learned = stage.learn(rows);
  assert.deepEqual(stage.sources, [], "nothing before complete()");
  stage.complete(learned);
  assert.deepEqual(stage.sources, [
    { partition: 0, eventsTrained: 20, nextOffset: 21 },
    { partition: 2, eventsTrained: 35, nextOffset: 35 },
  ]);
  const restored = new LearnStage({
    topic: "t",
    restore: JSON.parse(JSON.stringify(stage.state())),
  });
  assert.deepEqual(restored.sources, stage.sources);
  // A state from before the counts were kept: the offsets are known, the counts are not.
  const { trained: _, ...older } = stage.state();
  assert.deepEqual(new LearnStage({ topic: "t", restore: older }).sources, [
    { partition: 0, eventsTrained: null, nextOffset: 21 },
    { partition: 2, eventsTrained: null, nextOffset: 35 },
  ]);
});

Deno.test("LearnStage keeps the class weight in its state and restores only with the same one", () => {
  const rows = new RowBatch(SCHEMA);
  eventRows(rows, 0, 0, 50);
  const stage = new LearnStage({ topic: "t", learner: { classWeight: 3 } });
  stage.complete(stage.learn(rows));
  const state = JSON.parse(JSON.stringify(stage.state()));
  assert.equal(state.learner.model.classWeight, 3);
  const back = new LearnStage({ topic: "t", learner: { classWeight: 3 }, restore: state });
  assert.deepEqual(back.state(), state);
  assert.throws(
    () => new LearnStage({ topic: "t", restore: state }),
    /learnt with --class-weight purchase=3, this stage with --class-weight purchase=1/,
  );
});

Deno.test("LearnStage --target action learns the next action's class, restores exactly, refuses another target", () => {
  const all = new RowBatch(SCHEMA);
  eventRows(all, 0, 0, 400);
  const first = slice(all, 0, 150), second = slice(all, 150, 250);
  const straight = new LearnStage({ topic: "t", target: "action" });
  straight.complete(straight.learn(all));
  const a = new LearnStage({ topic: "t", target: "action" });
  a.complete(a.learn(first));
  const saved = JSON.parse(JSON.stringify(a.state()));
  assert.equal(saved.target, "action");
  const b = new LearnStage({ topic: "t", target: "action", restore: saved });
  b.complete(b.learn(second));
  assert.deepStrictEqual(b.state().action, straight.state().action);
  assert.deepStrictEqual(b.state().learner, straight.state().learner);
  const action = straight.action!;
  assert.equal(action.model.events, 400);
  const m = action.metrics.snapshot();
  assert.equal(m.events, 400);
  // The rows are views and purchases only: those two classes hold every count.
  assert.equal(m.classes[0].count + m.classes[2].count, 0);
  assert.ok(m.logLoss! < Math.log(4), `log loss ${m.logLoss}`);
  assert.equal("target" in new LearnStage({ topic: "t" }).state(), false);
  assert.throws(
    () => new LearnStage({ topic: "t", restore: saved }),
    /learnt --target action, this stage learns --target purchase; .*pass --target action/,
  );
  const plain = JSON.parse(JSON.stringify(new LearnStage({ topic: "t" }).state()));
  assert.throws(
    () => new LearnStage({ topic: "t", target: "action", restore: plain }),
    /learnt --target purchase, this stage learns --target action/,
  );
});

Deno.test("LearnStage learns rows between skipped rows and markers as if those were absent", () => {
  const first = new RowBatch(SCHEMA);
  eventRows(first, 0, 0, 100);
  const mixed = new RowBatch(SCHEMA);
  eventRows(mixed, 1, 0, 50);
  eventRows(mixed, 0, 40, 60); // 40..99: covered by the first batch, sparse entries and all
  eventRows(mixed, 1, 50, 50);
  mixed.addDeadLetter(1, 100, reasonCode("not_json"));
  eventRows(mixed, 0, 100, 50);
  const clean = new RowBatch(SCHEMA);
  eventRows(clean, 1, 0, 50);
  eventRows(clean, 1, 50, 50);
  eventRows(clean, 0, 100, 50);
  // `clean` (and `first`) are taken whole, by columns (`learnt_whole.ts`); `mixed` row by row.
  for (const target of ["purchase", "action"] as const) {
    const [a, b] = [mixed, clean].map((rows) => {
      const stage = new LearnStage({ topic: "t", target, learner: { mode: "adagrad" } });
      stage.complete(stage.learn(first));
      const learned = stage.learn(rows, { predictions: true });
      stage.complete(learned);
      return { stage, learned };
    });
    assert.deepEqual([a.learned.events, a.learned.skipped, a.learned.bad], [150, 60, 1]);
    assert.equal(b.learned.events, 150);
    assert.ok(SPARSE > 0 && a.stage.learner.model.updates > 0);
    assert.deepStrictEqual(a.stage.learner.toJSON(), b.stage.learner.toJSON());
    assert.deepStrictEqual(a.stage.action?.toJSON(), b.stage.action?.toJSON(), target);
    assert.equal(target === "action", a.stage.action !== null);
    assert.deepStrictEqual(a.stage.purchases.toJSON(), b.stage.purchases.toJSON());
    assert.ok(b.stage.purchases.toJSON().users.length > 0, "purchases were aggregated");
    assert.deepStrictEqual(
      a.stage.sources.map((s) => [s.partition, s.eventsTrained]),
      [[0, 150], [1, 100]],
    );
    assert.deepStrictEqual(
      b.stage.sources.map((s) => [s.partition, s.eventsTrained, s.nextOffset]),
      [[0, 150, 150], [1, 100, 100]],
    );
    assert.deepStrictEqual(
      a.learned.predictions.map((p) => [p.partition, p.offset, p.score, p.userId]),
      b.learned.predictions.map((p) => [p.partition, p.offset, p.score, p.userId]),
    );
  }
});
