import assert from "node:assert/strict";
import { FEATURE_SETS } from "../../src/learn/feature_sets.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import { Learner, scoreSession } from "../../src/learn/learner.ts";
import { POSITION_FEATURES } from "../../src/learn/position_features.ts";
import { MODES } from "../../src/learn/model.ts";
import { stream } from "./_stream.ts";

const { events, truth } = stream(25_000);

function runLearner(
  learner: Learner,
  cuts: number[],
  checkpoint = false,
): { learner: Learner; scores: number[] } {
  const bounds = [0, ...cuts, events.length];
  const scores: number[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b], to = bounds[b + 1];
    const batch = learner.learn(events.slice(from, to), { truth: truth.slice(from, to) });
    scores.push(...batch.scores.subarray(0, batch.length));
    if (checkpoint) learner = Learner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
  }
  return { learner, scores };
}

Deno.test("Learner.learn() with a checkpoint after every batch equals never stopping", async (t) => {
  for (const mode of MODES) {
    await t.step(mode, () => {
      const cuts = [5000, 10_000, 15_000, 20_000];
      const a = runLearner(new Learner({ mode }), cuts);
      const b = runLearner(new Learner({ mode }), cuts, true);
      assert.deepStrictEqual(b.scores, a.scores);
      assert.deepStrictEqual(b.learner.toJSON(), a.learner.toJSON());
    });
  }
});

Deno.test("Learner.learn() in per-event modes does not depend on batch boundaries", () => {
  const a = runLearner(new Learner({ mode: "adagrad" }), []);
  const b = runLearner(new Learner({ mode: "adagrad" }), [1, 2, 3, 999, 7000, 24_999]);
  assert.deepStrictEqual(b.learner.toJSON(), a.learner.toJSON());
});

Deno.test("Learner reports cumulative, rolling and last-batch metrics with the Bayes baseline", () => {
  const { learner } = runLearner(new Learner({ metrics: { windowSize: 10_000 } }), [20_000]);
  const { cumulative, rolling } = learner.snapshot();
  assert.equal(cumulative.events, 25_000);
  assert.equal(rolling.events, 10_000);
  assert.equal(learner.lastBatch!.events, 5000);
  assert.ok(cumulative.bayesLogLoss! > 0.5 && cumulative.bayesLogLoss! < 0.62);
  assert.ok(cumulative.logLoss! < cumulative.constantLogLoss!);
});

Deno.test("scoreSession() scores each event from the events before it with a frozen model", () => {
  const { learner } = runLearner(new Learner(), []);
  const frozen = learner.model.clone();
  const before = JSON.stringify(frozen.toJSON());
  const session = events.filter((e) => e.session_id === events[0].session_id).slice(0, 10);
  const scores = scoreSession(frozen, session, learner.featureSet);
  assert.equal(scores.length, session.length);
  assert.deepEqual(
    scoreSession(frozen, session.slice(0, 4), learner.featureSet),
    scores.slice(0, 4),
  );
  assert.ok(scores[0] < 0.15, `a first event scores low: ${scores[0]}`);
  assert.equal(JSON.stringify(frozen.toJSON()), before);
});

Deno.test("Learner rejects a truth array of the wrong length and a foreign state", () => {
  assert.throws(() => new Learner().learn(events.slice(0, 3), { truth: [0.1] }), RangeError);
  const state = new Learner().toJSON();
  state.model.featureNames = ["x", ...state.model.featureNames.slice(1)];
  assert.throws(() => Learner.fromJSON(state), TypeError);
});

Deno.test("Learner of every feature set: a checkpoint after every batch equals never stopping", async (t) => {
  for (const set of FEATURE_SETS) {
    await t.step(set.name, () => {
      const cuts = [3000, 11_000];
      const a = runLearner(new Learner({ featureSet: set }), cuts);
      const b = runLearner(new Learner({ featureSet: set }), cuts, true);
      assert.equal(b.learner.featureSet, set);
      assert.deepStrictEqual(b.scores, a.scores);
      assert.deepStrictEqual(b.learner.toJSON(), a.learner.toJSON());
      assert.equal(a.learner.toJSON().featureSet, set.id);
      assert.deepEqual(a.learner.model.featureNames, set.names);
    });
  }
});

Deno.test("Learner.fromJSON() restores a state only into its own feature set", () => {
  const state = new Learner({ featureSet: FIELD_FEATURES }).toJSON();
  assert.equal(Learner.fromJSON(state).featureSet, FIELD_FEATURES);
  assert.throws(
    () => Learner.fromJSON(state, { featureSet: POSITION_FEATURES }),
    /the state is of feature set "fields" \(id 3\), not "position" \(id 1\)/,
  );
  assert.throws(() => Learner.fromJSON({ ...state, featureSet: 42 }), /id 42 \(unknown/);
  // A state from before feature sets has no id: it is the position set's.
  const old = new Learner({ featureSet: POSITION_FEATURES }).toJSON();
  const { featureSet: _, ...rest } = old;
  const restored = Learner.fromJSON({
    ...rest,
    sessions: { ...rest.sessions, version: 1, layout: undefined },
  });
  assert.equal(restored.featureSet, POSITION_FEATURES);
});
