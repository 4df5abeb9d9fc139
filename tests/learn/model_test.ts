import assert from "node:assert/strict";
import fc from "fast-check";
import type { WireEvent } from "../../src/events/wire.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";

// The dense model's behaviour, on a dense-only set (the default, shop, adds hashed urls).
const DENSE_SET = featureSet("session");
import { Featurizer } from "../../src/learn/features.ts";
import { LogisticModel, type Mode, MODES } from "../../src/learn/model.ts";
import { dataset, newton } from "./_newton.ts";
import { stream } from "./_stream.ts";

const FEATURE_NAMES = DENSE_SET.names;
const FEATURE_COUNT = DENSE_SET.width;

const { events } = stream(30_000);

/** All rows and labels of the stream, featurized once. */
const all = (() => {
  const f = new Featurizer({ featureSet: DENSE_SET });
  const b = new FeatureBatch(FEATURE_COUNT);
  for (const e of events) f.push(e, b);
  return b;
})();

/** Copies rows `from .. to` of `all` into `batch`. */
function fill(
  batch: FeatureBatch,
  from: number,
  to: number,
  labels: Uint8Array = all.labels,
): void {
  batch.clear();
  for (let i = from; i < to; i++) {
    const k = batch.add();
    batch.rows.set(
      all.rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT),
      k * FEATURE_COUNT,
    );
    batch.labels[k] = labels[i];
  }
}

/** Runs `model` over the stream cut at `cuts`; returns every score. */
function run(
  model: LogisticModel,
  cuts: number[],
  options: {
    labels?: Uint8Array;
    checkpoint?: boolean;
    onBatch?: (m: LogisticModel) => LogisticModel;
  } = {},
): { model: LogisticModel; scores: number[] } {
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < events.length), events.length])]
    .sort((a, b) => a - b);
  const batch = new FeatureBatch(FEATURE_COUNT, { capacity: 8 });
  const scores: number[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    fill(batch, bounds[b], bounds[b + 1], options.labels);
    model.processBatch(batch);
    scores.push(...batch.scores.subarray(0, batch.length));
    if (options.checkpoint) {
      model = LogisticModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    }
  }
  return { model, scores };
}

const EVERY_10K = [10_000, 20_000];

Deno.test("processBatch() in per-event modes gives bitwise-identical weights whatever the batch boundaries", async (t) => {
  for (const mode of ["adagrad", "ftrl"] as const) {
    await t.step(mode, () => {
      const whole = run(new LogisticModel(FEATURE_NAMES, { mode }), []);
      const single = run(
        new LogisticModel(FEATURE_NAMES, { mode }),
        events.slice(0, 3000).map((_, i) => i),
      );
      const first3000 = run(new LogisticModel(FEATURE_NAMES, { mode }), [3000]);
      assert.deepStrictEqual(single.scores, whole.scores);
      assert.deepStrictEqual(single.model.toJSON(), first3000.model.toJSON());
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: events.length - 1 }), { maxLength: 20 }),
          (cuts) => {
            const r = run(new LogisticModel(FEATURE_NAMES, { mode }), cuts);
            assert.deepStrictEqual(r.model.toJSON(), whole.model.toJSON());
            assert.deepStrictEqual(r.scores, whole.scores);
          },
        ),
        { numRuns: 10 },
      );
    });
  }
});

Deno.test("LogisticModel serialize → deserialize → continue equals never stopping", async (t) => {
  for (const mode of MODES) {
    await t.step(mode, () => {
      const cuts = mode === "seed" ? EVERY_10K : [777, 5000, 12_345, 29_999];
      const straight = run(new LogisticModel(FEATURE_NAMES, { mode }), cuts);
      const restored = run(new LogisticModel(FEATURE_NAMES, { mode }), cuts, { checkpoint: true });
      assert.deepStrictEqual(restored.scores, straight.scores);
      assert.deepStrictEqual(restored.model.toJSON(), straight.model.toJSON());
      assert.equal(restored.model.events, events.length);
    });
  }
});

Deno.test("processBatch() gives an event the same score when its label is flipped", async (t) => {
  for (const mode of MODES) {
    await t.step(mode, () => {
      const cuts = mode === "seed" ? EVERY_10K : [];
      const base = run(new LogisticModel(FEATURE_NAMES, { mode }), cuts).scores;
      for (const i of [0, 1, 9_999, 10_000, 15_000, 29_999]) {
        const labels = Uint8Array.from(all.labels);
        labels[i] ^= 1;
        const flipped = run(new LogisticModel(FEATURE_NAMES, { mode }), cuts, { labels }).scores;
        assert.equal(flipped[i], base[i], `event ${i}`);
        assert.deepStrictEqual(flipped.slice(0, i + 1), base.slice(0, i + 1));
      }
    });
  }
});

Deno.test("processBatch() in seed mode scores a batch with the weights from before it", () => {
  const model = new LogisticModel(FEATURE_NAMES, { mode: "seed" });
  const { scores } = run(model, EVERY_10K);
  // before the cold-start fit the model is all zeros
  assert.ok(scores.slice(0, 10_000).every((s) => s === 0.5));
  assert.ok(scores.slice(10_000).some((s) => s !== 0.5));
});

Deno.test("processBatch() in seed mode fits the first two-class batch like an independent Newton's method", () => {
  const data = dataset(500, 3, 21);
  const model = new LogisticModel(["a", "b", "c"], { mode: "seed" });
  const batch = new FeatureBatch(3);
  // a single-class batch is skipped
  batch.add();
  batch.rows.set([1, 2, 3]);
  batch.labels[0] = 1;
  model.processBatch(batch);
  assert.deepEqual(model.coefficients().weights, [0, 0, 0]);
  // the raw-unit coefficients equal an unpenalized fit on the raw rows (standardization is
  // an affine change of variables); fresh model so the skipped row does not enter the stats
  const fresh = new LogisticModel(["a", "b", "c"], { mode: "seed" });
  batch.clear();
  for (let i = 0; i < data.length; i++) {
    const k = batch.add();
    batch.rows.set(data.rows.subarray(i * 3, i * 3 + 3), k * 3);
    batch.labels[k] = data.labels[i];
  }
  fresh.processBatch(batch);
  const ref = newton(data);
  const c = fresh.coefficients();
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(c.rawWeights[j] - ref[j]) < 1e-6, `weight ${j}`);
  assert.ok(Math.abs(c.rawIntercept - ref[3]) < 1e-6);
});

Deno.test("predict() scores a raw row without changing the model", () => {
  const model = run(new LogisticModel(FEATURE_NAMES), []).model;
  const before = JSON.stringify(model.toJSON());
  const row = all.rows.slice(0, FEATURE_COUNT);
  const p = model.predict(row);
  assert.ok(p > 0 && p < 1);
  assert.equal(model.predict(row), p);
  assert.equal(JSON.stringify(model.toJSON()), before);
  // raw coefficients reproduce predict()
  const c = model.coefficients();
  const z = c.rawIntercept + c.rawWeights.reduce((s, w, j) => s + w * row[j], 0);
  assert.ok(Math.abs(1 / (1 + Math.exp(-z)) - p) < 1e-12);
});

Deno.test("LogisticModel learns the generator's signal: later positions score higher", async (t) => {
  for (const mode of ["adagrad", "ftrl"] as Mode[]) {
    await t.step(mode, () => {
      const { model } = run(new LogisticModel(FEATURE_NAMES, { mode }), []);
      const f = new Featurizer({ featureSet: DENSE_SET });
      const row = new Float64Array(FEATURE_COUNT);
      const ps: number[] = [];
      for (let k = 0; k < 12; k++) {
        const e: WireEvent = {
          user_id: 1,
          url: "/",
          action: "view",
          session_id: "x",
          timestamp: 1_764_000_000 + 20 * k, // one 5-minute window
        };
        f.featurize(e, row);
        ps.push(model.predict(row));
        f.observe(e);
      }
      for (let k = 1; k < ps.length; k++) assert.ok(ps[k] > ps[k - 1], `position ${k + 1}`);
      assert.ok(Math.abs(ps[0] - 0.05) < 0.03, `first event ${ps[0]}`);
      assert.ok(ps[11] > 0.3, `12th event ${ps[11]}`);
    });
  }
});

Deno.test("LogisticModel rejects bad arguments", () => {
  assert.throws(() => new LogisticModel([]), TypeError);
  assert.throws(() => new LogisticModel(FEATURE_NAMES, { mode: "sgd" as Mode }), RangeError);
  assert.throws(
    () => new LogisticModel(FEATURE_NAMES).processBatch(new FeatureBatch(3)),
    RangeError,
  );
  assert.throws(
    () => new LogisticModel(FEATURE_NAMES, { adagrad: { learningRate: -1 } }),
    RangeError,
  );
  assert.throws(() => LogisticModel.fromJSON({ version: 9 } as never), TypeError);
});

Deno.test("processBatch() in seed mode takes one step of learningRate · (mean gradient + l2 · w) after the fit", async (t) => {
  for (const n of [3000, 8000]) {
    await t.step(`${n} events${n > 5000 ? " (5000 sampled)" : ""}`, () => {
      const model = new LogisticModel(FEATURE_NAMES, { mode: "seed" });
      const batch = new FeatureBatch(FEATURE_COUNT);
      fill(batch, 0, 10_000);
      model.processBatch(batch); // the cold-start fit
      const twin = model.clone();
      const replay = model.clone();
      fill(batch, 10_000, 10_000 + n);
      const before = twin.coefficients();
      const w = [...before.weights, before.intercept];
      const xs: number[][] = [];
      for (let i = 0; i < n; i++) {
        twin.standardizer.update(batch.rows, i * FEATURE_COUNT);
        xs.push([...twin.standardizer.transform(batch.rows, i * FEATURE_COUNT), 1]);
      }
      model.processBatch(batch);
      const after = model.coefficients();
      if (n <= 5000) {
        const g = new Array(FEATURE_COUNT + 1).fill(0);
        for (let i = 0; i < n; i++) {
          const z = xs[i].reduce((s, x, j) => s + x * w[j], 0);
          const r = 1 / (1 + Math.exp(-z)) - batch.labels[i];
          xs[i].forEach((x, j) => (g[j] += r * x / n));
        }
        const want = w.map((v, j) => v - 0.05 * (g[j] + (j < FEATURE_COUNT ? 0.01 * v : 0)));
        const got = [...after.weights, after.intercept];
        for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) < 1e-12, `${j}`);
      } else {
        // a sampled step still moves every weight by at most learningRate · (max |x| + l2 |w|)
        const maxX = Math.max(...xs.flat().map(Math.abs));
        after.weights.forEach((v, j) =>
          assert.ok(Math.abs(v - w[j]) <= 0.05 * (maxX + 0.01 * Math.abs(w[j])))
        );
        assert.notDeepEqual(after.weights, before.weights);
        // the sampler is seeded and checkpointed: a replay draws the same sample
        replay.processBatch(batch);
        assert.deepStrictEqual(replay.toJSON(), model.toJSON());
      }
      assert.equal(model.updates, 2);
    });
  }
});

Deno.test("clone() of an AdaGrad model is fromJSON(toJSON()) bit for bit, and independent", () => {
  const options = [
    { sparseWidth: 4 },
    { stepScales: { dense: new Array(FEATURE_COUNT).fill(2), sparse: 0.5 } },
  ];
  for (const o of [{}, ...options]) {
    const model = new LogisticModel(FEATURE_NAMES, { mode: "adagrad", ...o });
    const batch = new FeatureBatch(FEATURE_COUNT, { sparseWidth: model.sparseWidth });
    fill(batch, 0, 3000);
    model.processBatch(batch);
    const copy = model.clone();
    assert.deepEqual(copy.toJSON(), LogisticModel.fromJSON(model.toJSON()).toJSON());
    assert.deepEqual(copy.toJSON(), model.toJSON());
    fill(batch, 3000, 6000);
    const again = new FeatureBatch(FEATURE_COUNT, { sparseWidth: model.sparseWidth });
    fill(again, 3000, 6000);
    model.processBatch(batch);
    assert.notDeepEqual(copy.toJSON(), model.toJSON());
    copy.processBatch(again);
    assert.deepEqual(copy.toJSON(), model.toJSON());
  }
});
