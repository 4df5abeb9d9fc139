import assert from "node:assert/strict";
import { evaluateMode, type QualityRow, runQuality } from "../../src/cli/quality.ts";

/** Runs `fn` with console.log/error silenced. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const { log, error } = console;
  console.log = () => {};
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("runQuality() prints usage and returns 2 on a bad flag", async (t) => {
  for (
    const argv of [["--nope"], ["--events", "0"], ["--modes", "sgd"], ["--seed", "x"], ["extra"], [
      "--drift-at",
      "-5",
    ], ["--profile", "shop"]]
  ) {
    await t.step(argv.join(" "), async () => {
      assert.equal(await quietly(() => runQuality(argv)), 2);
    });
  }
});

Deno.test("runQuality() writes one JSON row per mode to --out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/q.json`;
    const code = await quietly(() =>
      runQuality(["--events", "20000", "--modes", "adagrad,seed", "--batch", "5000", "--out", out])
    );
    assert.equal(code, 0);
    const rows: QualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.deepEqual(rows.map((r) => r.mode), ["adagrad", "seed"]);
    assert.equal(rows[0].events, 20_000);
    assert.equal(rows[0].batchSize, 5000);
    assert.ok(rows[0].logLoss! > 0 && rows[0].bayesLogLoss! > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateMode() default mode learns to within 1% of Bayes and beats the constant rate", () => {
  const row = evaluateMode("adagrad", { events: 300_000, seed: 7 });
  assert.ok(row.ratioToBayes! < 1.01, `ratio to Bayes ${row.ratioToBayes}`);
  assert.ok(row.rollingRatioToBayes! < 1.006, `last-100k ratio ${row.rollingRatioToBayes}`);
  assert.ok(row.logLoss! < row.constantLogLoss! - 0.04);
  assert.ok(Math.abs(row.auc! - row.bayesAuc!) < 0.01);
});

Deno.test("runQuality() --profile funnel runs the funnel generator's stream", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/q.json`;
    const args = ["--events", "30000", "--modes", "adagrad", "--batch", "5000", "--out", out];
    assert.equal(await quietly(() => runQuality([...args, "--profile", "funnel"])), 0);
    const [funnel]: QualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.equal(await quietly(() => runQuality(args)), 0);
    const [original]: QualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.equal(funnel.profile, "funnel");
    assert.equal(original.profile, "original");
    // the funnel's purchase rate (about 0.16) and Bayes log loss differ from the original's
    assert.ok(funnel.bayesLogLoss! < original.bayesLogLoss! - 0.1);
    assert.ok(funnel.majorityAccuracy! > original.majorityAccuracy! + 0.1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
