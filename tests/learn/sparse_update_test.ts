import assert from "node:assert/strict";
import fc from "fast-check";
import { AdaGrad } from "../../src/learn/adagrad.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { Ftrl } from "../../src/learn/ftrl.ts";
import { LogisticModel } from "../../src/learn/model.ts";

const SPARSE = 64;

/** A row's sparse entries: distinct indices with values ±1. */
const entries = fc.uniqueArray(fc.nat(SPARSE - 1), { minLength: 1, maxLength: 3 }).chain((idx) =>
  fc.tuple(
    fc.constant(idx),
    fc.array(fc.constantFrom(-1, 1), { minLength: idx.length, maxLength: idx.length }),
  )
);
const steps = fc.array(
  fc.record({
    x: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }),
    y: fc.constantFrom(0, 1),
    e: entries,
  }),
  { minLength: 1, maxLength: 40 },
);

for (
  const [name, make] of [
    ["AdaGrad", () => new AdaGrad(3, { l2: 0.01 }, SPARSE)],
    ["Ftrl", () => new Ftrl(3, { l1: 0.01, l2: 0.01 }, SPARSE)],
  ] as const
) {
  Deno.test(`${name}: a step changes only the sparse coordinates of the row's entries`, () => {
    fc.assert(
      fc.property(steps, (s) => {
        const o = make();
        for (const { x, y, e: [index, value] } of s) {
          const before = Float64Array.from(o.sparseWeights);
          const state = o.toJSON() as unknown as Record<string, number[]>;
          o.step(
            Float64Array.from(x),
            y,
            Uint32Array.from(index),
            Float64Array.from(value),
            0,
            index.length,
          );
          const after = o.toJSON() as unknown as Record<string, number[]>;
          for (let j = 0; j < SPARSE; j++) {
            if (index.includes(j)) continue;
            assert.ok(Object.is(o.sparseWeights[j], before[j]), `weight ${j} untouched`);
            for (const k of ["sparseAccumulators", "sparseZ", "sparseN"]) {
              if (state[k]) assert.ok(Object.is(after[k][j], state[k][j]), `${k}[${j}] untouched`);
            }
          }
          // A touched coordinate with a nonzero residual moves.
          assert.ok(index.some((j) => o.sparseWeights[j] !== before[j]) || name === "Ftrl");
        }
      }),
      { numRuns: 100 },
    );
  });

  Deno.test(`${name}: without sparse entries, the dense weights are those of a dense-only optimizer, bit for bit`, () => {
    const dense = name === "AdaGrad"
      ? new AdaGrad(3, { l2: 0.01 })
      : new Ftrl(3, { l1: 0.01, l2: 0.01 });
    const sparse = make();
    for (let i = 0; i < 500; i++) {
      const x = Float64Array.of(Math.sin(i), Math.cos(i * 0.7), (i % 5) - 2);
      const y = i % 3 === 0 ? 1 : 0;
      assert.ok(Object.is(dense.step(x, y), sparse.step(x, y)));
    }
    assert.deepEqual(Array.from(sparse.weights), Array.from(dense.weights));
    assert.ok(sparse.sparseWeights.every((w) => w === 0));
  });
}

Deno.test("LogisticModel: sparse entries score and learn; state round-trips; topSparse orders by |w|", () => {
  for (const mode of ["adagrad", "ftrl"] as const) {
    const model = new LogisticModel(["a", "b"], { mode, sparseWidth: 16 });
    const batch = new FeatureBatch(2, { sparseWidth: 16 });
    for (let i = 0; i < 2000; i++) {
      const r = batch.add();
      batch.rows[2 * r] = Math.sin(i);
      batch.rows[2 * r + 1] = i % 7;
      const bucket = i % 4;
      batch.addSparse(bucket, bucket === 3 ? -1 : 1);
      batch.labels[r] = bucket === 1 ? 1 : 0; // bucket 1 always buys, the others never
    }
    model.processBatch(batch);
    const top = model.topSparse(20);
    assert.deepEqual(top.map((t) => t.index).sort(), [0, 1, 2, 3], mode);
    for (let k = 1; k < top.length; k++) {
      assert.ok(Math.abs(top[k - 1].weight) >= Math.abs(top[k].weight));
    }
    assert.ok(top.find((t) => t.index === 1)!.weight > 0);
    assert.equal(model.topSparse(2).length, 2);
    const row = Float64Array.of(0.5, 3);
    const again = LogisticModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    assert.equal(again.sparseWidth, 16);
    for (const j of [0, 1, 2, 3, 9]) {
      const p = model.predict(row, [j], [1]);
      assert.ok(Object.is(again.predict(row, [j], [1]), p));
    }
    assert.ok(model.predict(row, [1], [1]) > model.predict(row, [0], [1]));
    assert.throws(() => model.predict(row, [16], [1]), /sparse index 16/);
    assert.throws(
      () => model.processBatch(new FeatureBatch(2)),
      /sparse width 0 with a model of 16 sparse coordinates/,
    );
  }
});
