import assert from "node:assert/strict";
import { DRIFT_DEFAULTS, DriftDetector } from "../../src/learn/drift.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { Learner } from "../../src/learn/learner.ts";
import { LogisticModel } from "../../src/learn/model.ts";
import { logLoss } from "../../src/learn/logistic.ts";
import { Random } from "../../src/util/random.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { driftScenario } from "../../bench/drift.ts";

/** Bernoulli-like losses: ln2-ish noise around `mean` (sd ≈ 0.45), deterministic. */
function noisyLosses(rng: Random, n: number, mean: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.max(0, mean + (rng.next() - 0.5) * 1.56));
  return out;
}

Deno.test("DriftDetector has the documented defaults", () => {
  const d = new DriftDetector();
  assert.deepEqual(d.config, { delta: 0.05, threshold: 120, minEvents: 5000, direction: "both" });
  assert.deepEqual(d.config, DRIFT_DEFAULTS);
});

Deno.test("DriftDetector.update() stays quiet on a stationary loss and fires on a change", async (t) => {
  await t.step("stationary: no alarm over 1M events", () => {
    const d = new DriftDetector();
    const rng = new Random(1);
    let alarms = 0;
    for (let i = 0; i < 100; i++) {
      for (const x of noisyLosses(rng, 10_000, 0.57)) if (d.update(x)) alarms++;
    }
    assert.equal(alarms, 0);
    assert.equal(d.events, 1_000_000);
  });
  for (const [name, after] of [["a rise", 0.72], ["a fall", 0.42]] as const) {
    await t.step(`${name} of 0.15 is found within a few thousand events`, () => {
      const d = new DriftDetector();
      const rng = new Random(2);
      for (const x of noisyLosses(rng, 200_000, 0.57)) assert.equal(d.update(x), false);
      let at = -1;
      const next = noisyLosses(rng, 20_000, after);
      for (let i = 0; i < next.length && at < 0; i++) if (d.update(next[i])) at = i;
      assert.ok(at > 0 && at < 3000, `detected after ${at} events`);
      assert.equal(d.drifts, 1);
      assert.equal(d.lastDriftAt, 200_000 + at);
      assert.equal(d.statistic, 0, "the statistics restart after a drift");
    });
  }
  await t.step("direction up ignores a fall, direction down ignores a rise", () => {
    for (const [direction, after] of [["up", 0.3], ["down", 0.9]] as const) {
      const d = new DriftDetector({ direction });
      const rng = new Random(3);
      let alarms = 0;
      for (const x of noisyLosses(rng, 50_000, 0.57)) if (d.update(x)) alarms++;
      for (const x of noisyLosses(rng, 50_000, after)) if (d.update(x)) alarms++;
      assert.equal(alarms, 0, direction);
    }
  });
  await t.step("nothing fires before minEvents; non-finite losses are ignored", () => {
    const d = new DriftDetector({ minEvents: 100, threshold: 1 });
    for (let i = 0; i < 50; i++) assert.equal(d.update(0.1), false);
    for (let i = 0; i < 49; i++) assert.equal(d.update(5), false);
    assert.equal(d.update(NaN), false);
    assert.equal(d.update(Infinity), false);
    assert.equal(d.update(-1), false);
    assert.equal(d.events, 99);
    assert.equal(d.update(5), true);
  });
});

Deno.test("DriftDetector.toJSON() restores exactly: continuing equals never stopping", () => {
  const rng = new Random(4);
  const losses = [...noisyLosses(rng, 30_000, 0.57), ...noisyLosses(rng, 30_000, 0.4)];
  const whole = new DriftDetector();
  const firesWhole = losses.map((x) => whole.update(x));
  let part = new DriftDetector();
  const firesPart: boolean[] = [];
  for (let i = 0; i < losses.length; i++) {
    if (i % 7919 === 0) part = DriftDetector.fromJSON(JSON.parse(JSON.stringify(part.toJSON())));
    firesPart.push(part.update(losses[i]));
  }
  assert.deepEqual(firesPart, firesWhole);
  assert.deepEqual(part.toJSON(), whole.toJSON());
  assert.ok(whole.drifts >= 1);
});

Deno.test("DriftDetector rejects bad options and bad states", () => {
  assert.throws(() => new DriftDetector({ threshold: 0 }), RangeError);
  assert.throws(() => new DriftDetector({ delta: -1 }), RangeError);
  assert.throws(() => new DriftDetector({ minEvents: 1.5 }), RangeError);
  // @ts-expect-error: a wrong direction
  assert.throws(() => new DriftDetector({ direction: "sideways" }), RangeError);
  // @ts-expect-error: not a state
  assert.throws(() => DriftDetector.fromJSON({ version: 2 }), TypeError);
  const state = { ...new DriftDetector().toJSON(), mean: "x" as unknown as number };
  assert.throws(() => DriftDetector.fromJSON(state), TypeError);
});

Deno.test("DriftDetector.updateBatch() returns the indices of the drifts in the batch", () => {
  const d = new DriftDetector({ minEvents: 10, threshold: 5 });
  const batch = new FeatureBatch(1, { capacity: 64 });
  for (let i = 0; i < 40; i++) {
    const j = batch.add();
    batch.labels[j] = 1;
    batch.scores[j] = i < 20 ? 0.9 : 0.01; // loss 0.105, then 4.6
  }
  const found = d.updateBatch(batch);
  assert.deepEqual(found, [21]);
});

Deno.test("LogisticModel.adapt() boosts the rates keeping the weights, or resets", async (t) => {
  const train = (model: LogisticModel, seed: number) => {
    const rng = new Random(seed);
    const batch = new FeatureBatch(2, { capacity: 1000 });
    for (let i = 0; i < 1000; i++) {
      const j = batch.add();
      batch.rows[2 * j] = rng.next();
      batch.rows[2 * j + 1] = rng.next();
      batch.labels[j] = rng.next() < 0.3 + 0.4 * batch.rows[2 * j] ? 1 : 0;
    }
    model.processBatch(batch);
  };
  for (const mode of ["adagrad", "ftrl"] as const) {
    await t.step(`${mode}: boost keeps the weights, the next step moves them further`, () => {
      const a = new LogisticModel(["x", "y"], { mode });
      train(a, 1);
      const b = a.clone();
      b.adapt("boost");
      // FTRL keeps its weights as a function of (z, n): equal up to rounding.
      const wa = [...a.coefficients().weights, a.coefficients().intercept];
      const wb = [...b.coefficients().weights, b.coefficients().intercept];
      wa.forEach((w, j) => assert.ok(Math.abs(wb[j] - w) <= 1e-12 * Math.abs(w), `${wb[j]} ${w}`));
      const before = a.coefficients().intercept;
      train(a, 2);
      train(b, 2);
      const moveA = Math.abs(a.coefficients().intercept - before);
      const moveB = Math.abs(b.coefficients().intercept - before);
      assert.ok(moveB > moveA, `boosted move ${moveB} > plain move ${moveA}`);
    });
    await t.step(`${mode}: reset zeroes the weights, keeps the hyper-parameters`, () => {
      const a = new LogisticModel(["x", "y"], { mode });
      train(a, 1);
      const config = a.config;
      a.adapt("reset");
      assert.deepEqual(a.coefficients().weights, [0, 0]);
      assert.equal(a.coefficients().intercept, 0);
      assert.deepEqual(a.config, config);
    });
  }
  await t.step("rejects an unknown reaction", () => {
    // @ts-expect-error: not a reaction
    assert.throws(() => new LogisticModel(["x"]).adapt("panic"), RangeError);
  });
});

Deno.test("Learner with drift detection and boost: weights do not depend on batch boundaries", () => {
  const events = [];
  const gen = new SessionGenerator({ seed: 9, driftAt: 60_000 });
  for (let i = 0; i < 100_000; i++) events.push(gen.next());
  const options = { onDrift: "boost" as const, drift: { minEvents: 1000, threshold: 40 } };
  const whole = new Learner(options);
  const drifts: number[] = [];
  for (let i = 0; i < events.length; i += 10_000) {
    whole.learn(events.slice(i, i + 10_000));
    drifts.push(...whole.lastDrifts.map((j) => i + j));
  }
  assert.ok(drifts.length >= 1, "the drift at 60000 is found");
  assert.ok(drifts.every((d) => d >= 60_000), `no drift before it: ${drifts}`);
  let odd = new Learner(options);
  const drifts2: number[] = [];
  for (let i = 0, size = 1; i < events.length; i += size, size = (size * 7 + 3) % 9_973 + 1) {
    odd.learn(events.slice(i, i + size));
    drifts2.push(...odd.lastDrifts.map((j) => i + j));
    if (size % 5 === 0) odd = Learner.fromJSON(JSON.parse(JSON.stringify(odd.toJSON())));
  }
  assert.deepEqual(drifts2, drifts);
  assert.deepEqual(odd.model.toJSON(), whole.model.toJSON());
  assert.deepEqual(odd.toJSON().drift, whole.toJSON().drift);
});

Deno.test("Learner({ drift: false }) has no detector and reports no drifts", () => {
  const l = new Learner({ drift: false });
  assert.equal(l.drift, null);
  l.learn([new SessionGenerator().next()]);
  assert.deepEqual(l.lastDrifts, []);
  assert.equal(Learner.fromJSON(l.toJSON()).drift, null);
  assert.throws(() => new Learner({ onDrift: "x" as "none" }), RangeError);
});

Deno.test("the default detector finds the generator's drift within 20,000 events after it and never before (3 seeds, 1M events before)", () => {
  for (const seed of [1, 2, 3]) {
    const [run] = driftScenario({ seed, before: 1_000_000, after: 20_000, reactions: ["none"] });
    assert.equal(run.falseAlarms, 0, `seed ${seed}: no alarm before the drift`);
    assert.ok(
      run.detectionDelay !== null && run.detectionDelay <= 20_000,
      `seed ${seed}: detected ${run.detectionDelay} events after the drift`,
    );
  }
});

Deno.test("onDrift boost brings the rolling log loss back within 1% of the best possible sooner than no reaction", () => {
  const runs = driftScenario({ seed: 1, before: 1_000_000, after: 120_000 });
  const by = Object.fromEntries(runs.map((r) => [r.onDrift, r]));
  const none = by.none.recovery20k ?? Infinity;
  const boost = by.boost.recovery20k ?? Infinity;
  assert.ok(boost < none, `boost recovered after ${boost} events, none after ${none}`);
  assert.ok(boost < 60_000, `boost recovered after ${boost} events`);
});

Deno.test("Learner turns drift detection on by default in the per-event modes only", () => {
  assert.notEqual(new Learner().drift, null);
  assert.notEqual(new Learner({ mode: "ftrl" }).drift, null);
  assert.equal(new Learner({ mode: "seed" }).drift, null);
  assert.notEqual(new Learner({ mode: "seed", drift: {} }).drift, null);
});

Deno.test("Learner.fromJSON() keeps the detector, and takes the reaction from its options when given", () => {
  const l = new Learner({ onDrift: "boost" });
  l.learn([new SessionGenerator().next()]);
  const state = JSON.parse(JSON.stringify(l.toJSON()));
  assert.equal(Learner.fromJSON(state).onDrift, "boost");
  assert.equal(Learner.fromJSON(state, { onDrift: "reset" }).onDrift, "reset");
  assert.deepEqual(Learner.fromJSON(state).drift!.toJSON(), l.drift!.toJSON());
  const old = { ...state, drift: undefined, onDrift: undefined, boostFactor: undefined };
  assert.equal(Learner.fromJSON(old).drift, null, "an older checkpoint: no detector");
  assert.equal(Learner.fromJSON(old).onDrift, "none");
  assert.equal(Learner.fromJSON(old, { drift: {} }).drift!.events, 0, "or a fresh one");
});

Deno.test("processBatch() with onDrift none signals where the in-loop detector does (it takes the losses after the loop)", () => {
  const names = ["a", "b", "c"], n = 20_000, rng = new Random(3);
  const fill = (b: FeatureBatch) => {
    for (let i = 0; i < n; i++) {
      const k = b.add();
      const x = rng.next() * 2 - 1;
      b.rows.set([x, rng.next(), rng.next() < 0.5 ? 1 : 0], 3 * k);
      b.labels[k] = (x > 0) === (i < n / 2) ? 1 : 0; // the concept flips half-way
    }
  };
  const a = new FeatureBatch(3, { capacity: n }), b = new FeatureBatch(3, { capacity: n });
  fill(a);
  b.rows.set(a.rows), b.labels.set(a.labels), b.length = a.length;
  const options = { minEvents: 500, threshold: 20 };
  const after = new DriftDetector(options), inLoop = new DriftDetector(options);
  const losses = new Float64Array(n);
  const m1 = new LogisticModel(names), m2 = new LogisticModel(names);
  const found = m1.processBatch(a, { drift: after, onDrift: "none", losses });
  const want = m2.processBatch(b, { drift: inLoop, onDrift: "none" });
  assert.ok(want.length > 0, "the flip is detected");
  assert.deepEqual(found, want);
  assert.deepEqual(after.toJSON(), inLoop.toJSON());
  assert.deepEqual(m1.toJSON(), m2.toJSON());
  assert.deepEqual([...a.scores.subarray(0, n)], [...b.scores.subarray(0, n)]);
  losses.forEach((l, i) => assert.ok(Object.is(l, logLoss(a.scores[i], a.labels[i]))));
  const again = new DriftDetector(options), all: number[] = [];
  again.updateAll(losses, n, all);
  assert.deepEqual(all, want);
});
