import assert from "node:assert/strict";
import { MultiClassMetrics } from "../../src/learn/multiclass_metrics.ts";

const close = (a: number | null, b: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

Deno.test("MultiClassMetrics: log loss, Bayes, constant, per-class figures and confusion", () => {
  const m = new MultiClassMetrics(3, { window: 10 });
  const p = new Float64Array([0.5, 0.3, 0.2, 0.1, 0.7, 0.2, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6]);
  const t = new Float64Array([0.4, 0.4, 0.2, 0.2, 0.6, 0.2, 0.5, 0.4, 0.1, 0.1, 0.3, 0.6]);
  const labels = [0, 1, 1, 2]; // predicted: 0, 1, 0, 2
  labels.forEach((y, i) => m.add(p, 3 * i, y, t, 3 * i));
  const s = m.snapshot();
  const ll = -(Math.log(0.5) + Math.log(0.7) + Math.log(0.3) + Math.log(0.6)) / 4;
  const bayes = -(Math.log(0.4) + Math.log(0.6) + Math.log(0.4) + Math.log(0.6)) / 4;
  const constant = -(Math.log(1 / 4) + 2 * Math.log(2 / 4) + Math.log(1 / 4)) / 4;
  close(s.logLoss, ll, "log loss");
  close(s.bayesLogLoss, bayes, "Bayes");
  close(s.constantLogLoss, constant, "constant");
  close(s.shareOpen, (ll - bayes) / (constant - bayes), "share");
  assert.deepEqual(s.rolling.confusion, [[1, 0, 0], [1, 1, 0], [0, 0, 1]]);
  close(s.rolling.accuracy, 3 / 4, "accuracy");
  assert.equal(s.classes[0].precision, 1 / 2);
  assert.equal(s.classes[0].recall, 1);
  assert.equal(s.classes[1].precision, 1);
  assert.equal(s.classes[1].recall, 1 / 2);
  close(s.classes[1].logLoss, -(Math.log(0.7) + Math.log(0.3)) / 2, "class 1 log loss");
  assert.equal(s.classes[2].count, 1);
});

Deno.test("MultiClassMetrics: the window forgets, the cumulative figures do not; JSON restores", () => {
  const m = new MultiClassMetrics(2, { window: 3 });
  const right = new Float64Array([0.9, 0.1]), wrong = new Float64Array([0.2, 0.8]);
  for (let i = 0; i < 5; i++) m.add(wrong, 0, 0);
  for (let i = 0; i < 2; i++) m.add(right, 0, 0);
  const s = m.snapshot();
  assert.equal(s.events, 7);
  assert.deepEqual(s.rolling.confusion, [[2, 1], [0, 0]]);
  close(s.rolling.logLoss, -(2 * Math.log(0.9) + Math.log(0.2)) / 3, "rolling");
  close(s.logLoss, -(5 * Math.log(0.2) + 2 * Math.log(0.9)) / 7, "cumulative");
  assert.equal(s.bayesLogLoss, null);
  assert.equal(s.shareOpen, null);
  const r = MultiClassMetrics.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.deepEqual(r.snapshot(), s);
  r.add(right, 0, 0);
  m.add(right, 0, 0);
  assert.deepEqual(r.snapshot(), m.snapshot());
  assert.deepEqual(r.snapshot().rolling.confusion, [[3, 0], [0, 0]]);
});

Deno.test("MultiClassMetrics refuses bad options, naming the value", () => {
  assert.throws(() => new MultiClassMetrics(1), /1 classes/);
  assert.throws(() => new MultiClassMetrics(3, { window: 0 }), /window of 0/);
  assert.throws(() => MultiClassMetrics.fromJSON(null as never), /version-1/);
});
