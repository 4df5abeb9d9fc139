import assert from "node:assert/strict";
import { SoftmaxModel } from "../../src/learn/softmax.ts";

/** A seeded stream of `n` rows of width 2 whose class is the sign pattern of the features. */
function stream(n: number, seed = 7): { rows: Float64Array; labels: Uint8Array } {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const rows = new Float64Array(n * 2), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = rand() * 2 - 1, b = rand() * 2 - 1;
    rows[2 * i] = a * 5 + 10; // unstandardized on purpose
    rows[2 * i + 1] = b;
    labels[i] = (a > 0 ? 1 : 0) + (b > 0 ? 2 : 0);
  }
  return { rows, labels };
}

Deno.test("SoftmaxModel writes probabilities that sum to 1 and learns a separable problem", () => {
  const n = 20_000, { rows, labels } = stream(n);
  const m = new SoftmaxModel(["a", "b"], 4);
  const probs = new Float64Array(n * 4);
  m.processBatch(rows, n, labels, probs);
  for (let i = 0; i < n; i += 997) {
    const s = probs[4 * i] + probs[4 * i + 1] + probs[4 * i + 2] + probs[4 * i + 3];
    assert.ok(Math.abs(s - 1) < 1e-12, `row ${i} sums to ${s}`);
  }
  const first = probs.slice(0, 4);
  assert.deepEqual(Array.from(first), [0.25, 0.25, 0.25, 0.25]); // zero weights: uniform
  let late = 0;
  for (let i = n - 2000; i < n; i++) late -= Math.log(probs[4 * i + labels[i]]);
  assert.ok(late / 2000 < 0.5 * Math.log(4), `late log loss ${late / 2000}`);
  assert.equal(m.events, n);
});

Deno.test("SoftmaxModel gives bitwise the same weights whatever the batch boundaries", () => {
  const n = 5000, { rows, labels } = stream(n, 3);
  const whole = new SoftmaxModel(["a", "b"], 4);
  whole.processBatch(rows, n, labels, new Float64Array(n * 4));
  const parts = new SoftmaxModel(["a", "b"], 4);
  const probs = new Float64Array(n * 4);
  for (const [from, to] of [[0, 1], [1, 1234], [1234, 4000], [4000, n]]) {
    parts.processBatch(
      rows.subarray(from * 2, to * 2),
      to - from,
      labels.subarray(from, to),
      probs,
    );
  }
  assert.deepEqual(parts.weights, whole.weights);
});

Deno.test("SoftmaxModel restored from JSON continues bit for bit", () => {
  const n = 4000, { rows, labels } = stream(n, 11);
  const a = new SoftmaxModel(["a", "b"], 4, { learningRate: 0.1 });
  const pa = new Float64Array(n * 4);
  a.processBatch(rows, n, labels, pa);
  const b = new SoftmaxModel(["a", "b"], 4, { learningRate: 0.1 });
  const pb = new Float64Array(n * 4);
  b.processBatch(rows, 1500, labels, pb);
  const c = SoftmaxModel.fromJSON(JSON.parse(JSON.stringify(b.toJSON())));
  c.processBatch(rows.subarray(3000), n - 1500, labels.subarray(1500), pb.subarray(1500 * 4));
  assert.deepEqual(c.weights, a.weights);
  assert.deepEqual(pb, pa);
  assert.equal(c.events, n);
  assert.deepEqual(
    Array.from(c.predict(new Float64Array([10, 0.5]))),
    Array.from(a.predict(new Float64Array([10, 0.5]))),
  );
});

Deno.test("SoftmaxModel refuses bad input, naming the value", () => {
  assert.throws(() => new SoftmaxModel(["a"], 1), /1 classes/);
  assert.throws(() => new SoftmaxModel([], 3), /feature names \[\]/);
  assert.throws(() => new SoftmaxModel(["a"], 3, { learningRate: -1 }), /learningRate -1/);
  const m = new SoftmaxModel(["a"], 3);
  assert.throws(
    () => m.processBatch(new Float64Array([1]), 1, new Uint8Array([3]), new Float64Array(3)),
    /class 3 with a model of 3 classes/,
  );
  assert.throws(() => m.predict(new Float64Array(0)), /row of 0 values/);
  assert.throws(
    () => SoftmaxModel.fromJSON({ ...m.toJSON(), weights: [1] }),
    /expected 6 weights/,
  );
});
