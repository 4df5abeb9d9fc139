/**
 * AdaGrad's shortcut for a zero gradient (no square root, no division) held to the full formula
 * it replaces, bit for bit, on rows full of zeros and -0, with and without L2, with epsilon 0,
 * and from states holding -0, infinite and NaN weights and accumulators.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { AdaGrad, type AdaGradState } from "../../src/learn/adagrad.ts";
import { sigmoid, sparseLogit } from "../../src/learn/logistic.ts";

const D = 5, SPARSE = 8;

/** The step as it was before the shortcut (adagrad.ts at 9b29d70), on a state's arrays. */
function referenceStep(
  s: AdaGradState,
  rate: number[],
  x: Float64Array,
  y: number,
  index: Uint32Array,
  value: Float64Array,
): number {
  const w = Float64Array.from(s.weights), acc = Float64Array.from(s.accumulators);
  const sw = Float64Array.from(s.sparseWeights!), sacc = Float64Array.from(s.sparseAccumulators!);
  const { learningRate, l2, epsilon } = s.config;
  const p = sigmoid(sparseLogit(w, sw, x, index, value, 0, index.length));
  const r = p - y;
  for (let j = 0; j < D; j++) {
    const g = r * x[j] + l2 * w[j];
    const a = acc[j] + g * g;
    acc[j] = a;
    w[j] -= rate[j] * g / (epsilon + Math.sqrt(a));
  }
  const a = acc[D] + r * r;
  acc[D] = a;
  w[D] -= learningRate * r / (epsilon + Math.sqrt(a));
  const sparseRate = learningRate * s.stepScales!.sparse;
  for (let k = 0; k < index.length; k++) {
    const j = index[k];
    const g = r * value[k] + l2 * sw[j];
    const b = sacc[j] + g * g;
    sacc[j] = b;
    sw[j] -= sparseRate * g / (epsilon + Math.sqrt(b));
  }
  s.weights = Array.from(w);
  s.accumulators = Array.from(acc);
  s.sparseWeights = Array.from(sw);
  s.sparseAccumulators = Array.from(sacc);
  return p;
}

function sameBits(a: readonly number[], b: readonly number[], what: string): void {
  assert.equal(a.length, b.length);
  for (let j = 0; j < a.length; j++) {
    assert.ok(Object.is(a[j], b[j]), `${what}[${j}]: ${a[j]} vs ${b[j]}`);
  }
}

const odd = fc.constantFrom(0, -0, 0, -0, 1, -1, 0.5, 1e-300, Infinity, -Infinity, NaN);
const nonNegative = fc.constantFrom(0, -0, 0, 1e-3, 1, 4, Infinity, NaN);
const cases = fc.record({
  l2: fc.constantFrom(0, 0, 1e-3),
  epsilon: fc.constantFrom(1e-8, 1e-8, 0),
  learningRate: fc.constantFrom(0.2, 0.2, 0),
  weights: fc.array(fc.oneof(odd, fc.double({ min: -2, max: 2, noNaN: true })), {
    minLength: D + 1,
    maxLength: D + 1,
  }),
  accumulators: fc.array(fc.oneof(nonNegative, fc.double({ min: 0, max: 5, noNaN: true })), {
    minLength: D + 1,
    maxLength: D + 1,
  }),
  clean: fc.boolean(), // start from zeros instead of the odd state above
  steps: fc.array(
    fc.record({
      x: fc.array(fc.oneof(fc.constantFrom(0, -0, 0, 1), fc.double({ min: -3, max: 3 })), {
        minLength: D,
        maxLength: D,
      }),
      y: fc.constantFrom(0, 1),
      index: fc.nat(SPARSE - 1),
      sign: fc.constantFrom(-1, 1),
    }),
    { minLength: 1, maxLength: 30 },
  ),
});

Deno.test("AdaGrad's zero-gradient shortcut is bitwise the full formula, odd states included", () => {
  fc.assert(
    fc.property(cases, (c) => {
      const scales = { dense: [1, 0.1, 0.1, 1, 0.1], sparse: 0.25 };
      const config = { learningRate: c.learningRate, l2: c.l2, epsilon: c.epsilon };
      const zeros = new Array(D + 1).fill(0);
      const ref: AdaGradState = {
        config,
        weights: c.clean ? zeros : c.weights,
        accumulators: c.clean ? zeros : c.accumulators,
        sparseWeights: new Array(SPARSE).fill(0),
        sparseAccumulators: new Array(SPARSE).fill(0),
        stepScales: scales,
      };
      const opt = AdaGrad.fromJSON(structuredClone(ref));
      const rate = scales.dense.map((m) => c.learningRate * m);
      for (const s of c.steps) {
        const x = Float64Array.from(s.x), index = Uint32Array.of(s.index);
        const value = Float64Array.of(s.sign);
        const want = referenceStep(ref, rate, x, s.y, index, value);
        const got = opt.step(x, s.y, index, value, 0, 1);
        assert.ok(Object.is(got, want), `prediction ${got} vs ${want}`);
        const state = opt.toJSON();
        sameBits(state.weights, ref.weights, "weights");
        sameBits(state.accumulators, ref.accumulators, "accumulators");
        sameBits(state.sparseWeights!, ref.sparseWeights!, "sparse weights");
        sameBits(state.sparseAccumulators!, ref.sparseAccumulators!, "sparse accumulators");
      }
    }),
    { numRuns: 3000 },
  );
});
