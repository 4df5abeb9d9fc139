import assert from "node:assert/strict";
import { Random } from "../../src/util/random.ts";
import { AdaGrad } from "../../src/learn/adagrad.ts";
import {
  fitLogistic,
  gradient,
  logLoss,
  logLosses,
  PROBABILITY_FLOOR,
  sigmoid,
} from "../../src/learn/logistic.ts";
import { dataset, newton } from "./_newton.ts";

Deno.test("gradient() agrees with central finite differences of the log loss", () => {
  const r = new Random(3);
  for (let trial = 0; trial < 50; trial++) {
    const d = 1 + (trial % 6);
    const w = Float64Array.from({ length: d + 1 }, () => (r.next() - 0.5) * 4);
    const x = Float64Array.from({ length: d }, () => (r.next() - 0.5) * 6);
    const y = trial % 2;
    const { g } = gradient(w, { x, y });
    const loss = (v: Float64Array) => {
      let z = v[d];
      for (let j = 0; j < d; j++) z += v[j] * x[j];
      return logLoss(sigmoid(z), y);
    };
    for (let j = 0; j <= d; j++) {
      const h = 1e-6;
      const plus = Float64Array.from(w), minus = Float64Array.from(w);
      plus[j] += h;
      minus[j] -= h;
      const numeric = (loss(plus) - loss(minus)) / (2 * h);
      assert.ok(Math.abs(numeric - g[j]) < 1e-6 * Math.max(1, Math.abs(g[j])), `coordinate ${j}`);
    }
  }
});

Deno.test("AdaGrad.step() moves each weight against the gradient by learningRate / (ε + |g|) from zero", () => {
  const x = Float64Array.from([0.5, -1.5, 2]);
  const opt = new AdaGrad(3, { learningRate: 0.1 });
  const { g } = gradient(new Float64Array(4), { x, y: 1 });
  const p = opt.step(x, 1);
  assert.equal(p, 0.5);
  for (let j = 0; j < 4; j++) {
    assert.ok(Math.abs(opt.weights[j] - (-0.1 * g[j]) / (1e-8 + Math.abs(g[j]))) < 1e-15);
  }
});

Deno.test("fitLogistic() matches an independent Newton's method within 1e-6", async (t) => {
  await t.step("no penalty (the seed-mode default)", () => {
    const data = dataset(400, 3, 11);
    const fit = fitLogistic(data);
    assert.ok(fit.converged);
    const ref = newton(data);
    for (let j = 0; j < ref.length; j++) {
      assert.ok(Math.abs(fit.weights[j] - ref[j]) < 1e-6, `${j}`);
    }
  });
  await t.step("with an L2 penalty", () => {
    const data = dataset(300, 4, 12);
    const fit = fitLogistic(data, { l2: 0.05 });
    const ref = newton(data, 0.05);
    for (let j = 0; j < ref.length; j++) {
      assert.ok(Math.abs(fit.weights[j] - ref[j]) < 1e-6, `${j}`);
    }
  });
});

Deno.test("fitLogistic() rejects empty data and bad options with a RangeError", () => {
  const data = dataset(10, 2, 1);
  assert.throws(() => fitLogistic({ ...data, length: 0 }), RangeError);
  assert.throws(() => fitLogistic(data, { l2: -1 }), RangeError);
  assert.throws(() => fitLogistic(data, { maxIterations: 0 }), RangeError);
});

Deno.test("sigmoid() and logLoss() stay finite at the extremes", () => {
  assert.equal(sigmoid(1000), 1);
  assert.equal(sigmoid(-1000), 0);
  assert.ok(Number.isFinite(logLoss(0, 1)) && logLoss(0, 1) > 30);
  assert.ok(Math.abs(logLoss(0.25, 1) - Math.log(4)) < 1e-15);
});

Deno.test("logLoss() clamps at PROBABILITY_FLOOR and 1 − PROBABILITY_FLOOR exactly; logLosses() is it per event", () => {
  const f = PROBABILITY_FLOOR;
  for (const p of [0, -0, -1, f / 2, -Infinity]) {
    assert.equal(logLoss(p, 1), -Math.log(f));
    assert.equal(logLoss(p, 0), -Math.log(1 - f));
  }
  for (const p of [1, 2, 1 - f / 2, Infinity]) {
    assert.equal(logLoss(p, 1), -Math.log(1 - f));
    assert.equal(logLoss(p, 0), -Math.log(1 - (1 - f)));
  }
  assert.equal(logLoss(f, 1), -Math.log(f));
  assert.ok(Number.isNaN(logLoss(NaN, 1)));
  const scores = Float64Array.of(0.3, 0, 1, NaN, 0.5), labels = Uint8Array.of(1, 0, 1, 0, 0);
  const losses = new Float64Array(6).fill(7);
  logLosses(scores, labels, 5, losses);
  scores.forEach((p, i) => assert.ok(Object.is(losses[i], logLoss(p, labels[i]))));
  assert.equal(losses[5], 7);
});
