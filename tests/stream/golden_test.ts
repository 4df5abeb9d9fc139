/**
 * The trainer reproduces, bit for bit, what it produced on one partition before it was split
 * into a featurize and a learn stage (the fixture `_golden_trainer.json`, see `_golden.ts`).
 */
import assert from "node:assert/strict";
import { GOLDEN_CASES, GOLDEN_FILE, type GoldenResult, runGolden } from "./_golden.ts";

const expected: Record<string, GoldenResult> = JSON.parse(await Deno.readTextFile(GOLDEN_FILE));

Deno.test("Trainer on one partition reproduces the golden weights, state and outputs", async (t) => {
  assert.deepEqual(Object.keys(expected).sort(), GOLDEN_CASES.map((c) => c.name).sort());
  for (const c of GOLDEN_CASES) {
    await t.step(c.name, async () => {
      assert.deepEqual(await runGolden(c), expected[c.name]);
    });
  }
});

Deno.test("golden cases: a restore, with or without redelivery, equals the straight run", () => {
  const restores: [string, string[]][] = [
    ["adagrad, mixed batches", [
      "adagrad, restored after 5 batches",
      "adagrad, restored and redelivered",
    ]],
    ["session, adagrad, mixed batches", ["session, adagrad, restored and redelivered"]],
    ["fields, adagrad, mixed batches", ["fields, adagrad, restored and redelivered"]],
  ];
  for (const [straightName, names] of restores) {
    const straight = expected[straightName];
    for (const name of names) {
      const r = expected[name];
      for (const key of ["weights", "model", "metricsState", "predict", "eventsTrained"]) {
        assert.equal(r[key], straight[key], `${name}: ${key}`);
      }
    }
  }
  // The feature sets learn different models from the same input.
  const weights = [
    "adagrad, mixed batches",
    "session, adagrad, mixed batches",
    "fields, adagrad, mixed batches",
  ]
    .map((name) => expected[name].weights);
  assert.equal(new Set(weights).size, 3);
  assert.ok(Number(expected["adagrad, restored and redelivered"].skippedRecords) > 0);
  assert.ok(Number(expected["adagrad, drift with reset"].drifts) > 0);
});
