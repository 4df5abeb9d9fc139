import assert from "node:assert/strict";
import fc from "fast-check";
import { inverse, log, log1p, SMALL_LOG_LIMIT } from "../../src/learn/small_logs.ts";

function same(x: number): void {
  assert.ok(Object.is(log1p(x), Math.log1p(x)), `log1p(${Object.is(x, -0) ? "-0" : x})`);
  assert.ok(Object.is(log(x), Math.log(x)), `log(${Object.is(x, -0) ? "-0" : x})`);
  assert.ok(Object.is(inverse(x), 1 / x), `inverse(${Object.is(x, -0) ? "-0" : x})`);
}

Deno.test("log1p, log and inverse are the calls they stand for, bit for bit, over the tables and past their edges", () => {
  for (let k = -3; k < SMALL_LOG_LIMIT + 3; k++) same(k);
  for (const x of [-0, 0.5, 1 - 1e-16, 1.5, 4095.5, 2 ** 31, 2 ** 32 + 1, 1e300]) same(x);
  for (const x of [Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MIN_VALUE]) same(x);
});

Deno.test("log1p, log and inverse are the calls they stand for on any double", () => {
  fc.assert(fc.property(fc.double(), (x) => same(x)), { numRuns: 2000 });
  fc.assert(fc.property(fc.integer({ min: -10, max: 10_000 }), (k) => same(k)), { numRuns: 2000 });
});
