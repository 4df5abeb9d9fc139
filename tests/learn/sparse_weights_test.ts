import assert from "node:assert/strict";
import fc from "fast-check";
import { checkSparseIndices, largestWeights } from "../../src/learn/sparse_weights.ts";

Deno.test("largestWeights() is the n nonzero weights of largest |w|, largest first, ties by index", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 60 }),
      fc.integer({ min: 0, max: 25 }),
      (ws, n) => {
        const w = Float64Array.from(ws);
        const want = ws.map((weight, index) => ({ index, weight }))
          .filter((e) => e.weight !== 0)
          .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.index - b.index)
          .slice(0, n);
        assert.deepEqual(largestWeights(w, n), want);
      },
    ),
  );
});

Deno.test("checkSparseIndices() names the first index outside the sparse part", () => {
  checkSparseIndices([0, 15], 16);
  assert.throws(() => checkSparseIndices([3, 16], 16), /sparse index 16: the model has 16/);
  assert.throws(() => checkSparseIndices([-1], 16), /sparse index -1/);
});
