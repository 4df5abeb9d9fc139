import assert from "node:assert/strict";
import { deriveSeed, Random } from "../../src/util/random.ts";

Deno.test("Random gives the same sequence for the same seed and a different one for another", () => {
  const a = new Random(42), b = new Random(42), c = new Random(43);
  const sa = Array.from({ length: 100 }, () => a.nextUint32());
  const sb = Array.from({ length: 100 }, () => b.nextUint32());
  const sc = Array.from({ length: 100 }, () => c.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

Deno.test("Random.fromState() continues exactly where getState() was taken", () => {
  const a = new Random(7);
  for (let i = 0; i < 1000; i++) a.next();
  const b = Random.fromState(a.getState());
  for (let i = 0; i < 1000; i++) assert.equal(b.nextUint32(), a.nextUint32());
});

Deno.test("Random.next() is uniform in [0, 1) and nextInt(n) covers 0..n-1", () => {
  const r = new Random(1);
  const n = 200_000;
  let sum = 0, min = 1, max = 0;
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const x = r.next();
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
    counts[r.nextInt(10)]++;
  }
  assert.ok(min >= 0 && max < 1);
  // mean 0.5, sd of the mean sqrt(1/12/n) ≈ 6.5e-4
  assert.ok(Math.abs(sum / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
  // chi-square with 9 degrees of freedom; 99.99th percentile ≈ 33.7
  const chi = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi < 33.7, `chi-square ${chi}`);
});

Deno.test("Random rejects a non-finite seed with a TypeError", () => {
  assert.throws(() => new Random(NaN), TypeError);
  assert.throws(() => Random.fromState([1, 2, 3] as never), TypeError);
});

Deno.test("deriveSeed() gives distinct seeds per index", () => {
  const seeds = new Set(Array.from({ length: 64 }, (_, i) => deriveSeed(42, i)));
  assert.equal(seeds.size, 64);
});
