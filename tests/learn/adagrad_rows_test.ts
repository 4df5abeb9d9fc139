/**
 * AdaGrad's batch stepper over raw rows (`adagrad_rows.ts`: standardized on the way, ±0
 * coordinates left out of the update) held to `AdaGrad.step` of the standardized row bit for bit,
 * on rows full of zeros, -0, ones, NaN and infinities, with and without L2, with epsilon 0, from
 * states holding -0, infinite and NaN weights and accumulators, and across boosts by 0, -0 and ½.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { AdaGrad, type AdaGradState } from "../../src/learn/adagrad.ts";

const D = 7, SPARSE = 8;

function sameBits(a: readonly number[], b: readonly number[], what: string): void {
  assert.equal(a.length, b.length);
  for (let j = 0; j < a.length; j++) {
    assert.ok(Object.is(a[j], b[j]), `${what}[${j}]: ${a[j]} vs ${b[j]}`);
  }
}

const odd = fc.constantFrom(0, -0, 0, -0, 1, -1, 0.5, 1e-300, Infinity, -Infinity, NaN);
// Accumulators are never negative in a state AdaGrad wrote; a damaged one may hold -1.
const nonNegative = fc.constantFrom(0, -0, 0, 1e-3, 1, 4, Infinity, NaN, -1);
const raw = fc.oneof(
  fc.constantFrom(0, 0, 0, 0, -0, 1, 1),
  fc.double({ min: -3, max: 3, noNaN: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e300),
);
const cases = fc.record({
  l2: fc.constantFrom(0, 0, 0, 1e-3),
  epsilon: fc.constantFrom(1e-8, 1e-8, 1e-8, 0),
  learningRate: fc.constantFrom(0.2, 0.2, 0),
  weights: fc.array(fc.oneof(odd, fc.double({ min: -2, max: 2, noNaN: true })), {
    minLength: D + 1,
    maxLength: D + 1,
  }),
  accumulators: fc.array(fc.oneof(nonNegative, fc.double({ min: 0, max: 5, noNaN: true })), {
    minLength: D + 1,
    maxLength: D + 1,
  }),
  clean: fc.constantFrom(true, true, false), // zeros instead of the odd state above
  // mean 0 and scale 1: an unscaled column (the value itself); else a standardized one
  mean: fc.array(fc.constantFrom(0, 0, 0.5, -1), { minLength: D, maxLength: D }),
  scale: fc.array(fc.constantFrom(1, 1, 0, 2, 0.25), { minLength: D, maxLength: D }),
  steps: fc.array(
    fc.record({
      x: fc.array(raw, { minLength: D, maxLength: D }),
      y: fc.constantFrom(0, 1),
      entries: fc.array(fc.record({ index: fc.nat(SPARSE - 1), sign: fc.constantFrom(-1, 1) }), {
        maxLength: 2,
      }),
      boost: fc.constantFrom(null, null, null, null, null, null, 0, -0, 0.5),
    }),
    { minLength: 1, maxLength: 40 },
  ),
});

Deno.test("AdaGradRows.step is bitwise AdaGrad.step of the standardized row, odd states included", () => {
  fc.assert(
    fc.property(cases, (c) => {
      const scales = { dense: [1, 0.1, 0.1, 1, 0.1, 0.1, 0.1], sparse: 0.25 };
      const config = { learningRate: c.learningRate, l2: c.l2, epsilon: c.epsilon };
      const zeros = new Array(D + 1).fill(0);
      const state: AdaGradState = {
        config,
        weights: c.clean ? zeros : c.weights,
        accumulators: c.clean ? zeros : c.accumulators,
        sparseWeights: new Array(SPARSE).fill(0),
        sparseAccumulators: new Array(SPARSE).fill(0),
        stepScales: scales,
      };
      const want = AdaGrad.fromJSON(structuredClone(state));
      const got = AdaGrad.fromJSON(structuredClone(state));
      const mean = Float64Array.from(c.mean), scale = Float64Array.from(c.scale);
      let rows = got.rows();
      for (const s of c.steps) {
        const row = Float64Array.from(s.x);
        const x = row.map((v, j) => (v - mean[j]) * scale[j]);
        const index = Uint32Array.from(s.entries.map((e) => e.index));
        const value = Float64Array.from(s.entries.map((e) => e.sign));
        const p = want.step(x, s.y, index, value, 0, index.length);
        const q = rows.step(row, 0, mean, scale, s.y, index, value, 0, index.length);
        assert.ok(Object.is(q, p), `prediction ${q} vs ${p}`);
        if (s.boost !== null) {
          want.boost(s.boost);
          got.boost(s.boost);
          rows = got.rows();
        }
        const a = want.toJSON(), b = got.toJSON();
        sameBits(b.weights, a.weights, "weights");
        sameBits(b.accumulators, a.accumulators, "accumulators");
        sameBits(b.sparseWeights!, a.sparseWeights!, "sparse weights");
        sameBits(b.sparseAccumulators!, a.sparseAccumulators!, "sparse accumulators");
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("AdaGradRows.step reads its row at an offset of a batch", () => {
  const a = new AdaGrad(3), b = new AdaGrad(3);
  const rows = Float64Array.of(9, 9, 9, 1, 0, 2, 9);
  const mean = Float64Array.of(0, 0.5, 0), scale = Float64Array.of(1, 2, 1);
  const p = a.step(Float64Array.of(1, -1, 2), 1);
  const q = b.rows().step(rows, 3, mean, scale, 1, [], [], 0, 0);
  assert.ok(Object.is(q, p));
  assert.deepEqual(b.toJSON(), a.toJSON());
});
