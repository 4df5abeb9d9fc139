import assert from "node:assert/strict";
import { Standardizer } from "../../src/learn/standardizer.ts";

Deno.test("Standardizer tracks the running mean and sample standard deviation (Welford)", () => {
  const rows = Float64Array.from([1, 10, 2, 10, 3, 10, 4, 10]);
  const s = new Standardizer(2);
  for (let i = 0; i < 4; i++) s.update(rows, i * 2);
  assert.equal(s.count, 4);
  assert.equal(s.mean(0), 2.5);
  assert.ok(Math.abs(s.sd(0) - Math.sqrt(5 / 3)) < 1e-15);
  assert.equal(s.sd(1), 0);
  const out = s.transform(Float64Array.from([4, 99]), 0);
  assert.ok(Math.abs(out[0] - 1.5 / Math.sqrt(5 / 3)) < 1e-15);
  assert.equal(out[1], 0, "a constant feature standardizes to 0");
});

Deno.test("Standardizer.fromJSON(toJSON()) continues bit for bit", () => {
  const a = new Standardizer(3);
  const row = new Float64Array(3);
  for (let i = 0; i < 100; i++) {
    row.set([Math.sin(i), i * 0.1, Math.log1p(i)]);
    a.update(row, 0);
  }
  const b = Standardizer.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  for (let i = 100; i < 200; i++) {
    row.set([Math.sin(i), i * 0.1, Math.log1p(i)]);
    a.update(row, 0);
    b.update(row, 0);
  }
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
});

Deno.test("Standardizer rejects a bad width and state", () => {
  assert.throws(() => new Standardizer(0), RangeError);
  assert.throws(
    () => Standardizer.fromJSON({ count: 1, mean: [1], m2: [], scale: [1] }),
    TypeError,
  );
});
