import assert from "node:assert/strict";
import { evaluateMode, type QualityRow, runQuality } from "../../src/cli/quality.ts";
import { type ActionQualityRow, evaluateAction } from "../../src/cli/quality_action.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import { Learner } from "../../src/learn/learner.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";

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
    const argv of [
      ["--nope"],
      ["--events", "0"],
      ["--modes", "sgd"],
      ["--seed", "x"],
      ["extra"],
      [
        "--drift-at",
        "-5",
      ],
      ["--profile", "shop"],
      ["--features", "pages"],
      ["--features", ","],
    ]
  ) {
    await t.step(argv.join(" "), async () => {
      assert.equal(await quietly(() => runQuality(argv)), 2);
    });
  }
});

Deno.test("runQuality() writes one JSON row per profile, feature set and mode to --out", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/q.json`;
    const code = await quietly(() =>
      runQuality([
        ...["--events", "20000", "--modes", "adagrad,seed", "--batch", "5000", "--out", out],
        ...["--features", "shop,fields", "--profile", "original,funnel"],
      ])
    );
    assert.equal(code, 0);
    const rows: QualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.deepEqual(rows.map((r) => `${r.profile} ${r.features} ${r.mode}`), [
      "original shop adagrad",
      "original shop seed",
      "original fields adagrad",
      "original fields seed",
      "funnel shop adagrad",
      "funnel shop seed",
      "funnel fields adagrad",
      "funnel fields seed",
    ]);
    assert.deepEqual(rows.map((r) => r.default), [
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
    assert.equal(rows[0].events, 20_000);
    assert.equal(rows[0].batchSize, 5000);
    assert.ok(rows[0].logLoss! > 0 && rows[0].bayesLogLoss! > 0);
    assert.deepEqual(Object.keys(rows[2].coefficients), [...FIELD_FEATURES.names, "__intercept__"]);
    // The trainer's defaults: drift detection in the per-event modes, none in seed mode.
    assert.deepEqual(rows.map((r) => r.drifts === null), [
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateMode() is the trainer's learner, with its defaults, over the generator's stream", () => {
  // The same events through a Learner built as train builds its learner: the same row.
  const row = evaluateMode("adagrad", { events: 30_000, seed: 5, batchSize: 7000 });
  const gen = new SessionGenerator({ seed: 5 });
  const learner = new Learner({ mode: "adagrad" });
  for (let done = 0; done < 30_000; done += 7000) {
    const n = Math.min(7000, 30_000 - done);
    const events = Array.from({ length: n }, () => gen.next());
    learner.learn(events);
  }
  assert.equal(row.logLoss, learner.snapshot().cumulative.logLoss);
  assert.equal(row.features, "shop");
  assert.equal(row.drifts, learner.drift!.drifts);
  const coef = learner.model.coefficients();
  assert.deepEqual(Object.values(row.coefficients), [...coef.rawWeights, coef.rawIntercept]);
});

Deno.test("on the funnel profile the features of every field beat position alone by far", () => {
  // A small seeded stream (60,000 events, 1.5 simulated days): the share of the room between the
  // constant rate and Bayes left open.
  const options = { events: 60_000, seed: 7, profile: "funnel" as const };
  const position = evaluateMode("adagrad", { ...options, featureSet: "position" });
  const fields = evaluateMode("adagrad", { ...options, featureSet: "fields" });
  assert.ok(position.shareOpen! > 0.6, `position leaves ${position.shareOpen} open`);
  assert.ok(fields.shareOpen! < 0.1, `fields leaves ${fields.shareOpen} open`);
  assert.ok(fields.auc! > position.auc! + 0.1);
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

Deno.test("runQuality() --target action refuses modes other than adagrad", async () => {
  assert.equal(await quietly(() => runQuality(["--target", "action", "--modes", "ftrl"])), 2);
  assert.equal(await quietly(() => runQuality(["--target", "class"])), 2);
});

Deno.test("runQuality() --target action writes a multi-class row per profile and feature set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/q.json`;
    const code = await quietly(() =>
      runQuality([
        ...["--target", "action", "--events", "30000", "--batch", "5000", "--out", out],
        ...["--features", "position", "--profile", "original,funnel"],
      ])
    );
    assert.equal(code, 0);
    const rows: ActionQualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.deepEqual(rows.map((r) => `${r.profile} ${r.features} ${r.mode}`), [
      "original position adagrad",
      "funnel position adagrad",
    ]);
    for (const r of rows) {
      assert.ok(r.bayesLogLoss! > 0 && r.logLoss! > r.bayesLogLoss!, JSON.stringify(r));
      assert.ok(r.constantLogLoss! > r.bayesLogLoss!);
      assert.ok(r.shareOpen! > 0 && r.shareOpen! < 1, `share ${r.shareOpen}`);
      assert.deepEqual(Object.keys(r.classes), ["click", "view", "scroll", "purchase"]);
      const total = r.confusion.flat().reduce((a, b) => a + b, 0);
      assert.equal(total, Math.min(r.events, 100_000));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runQuality() --class-weight: bad values and combinations exit 2, a weight is reported", async () => {
  for (
    const argv of [
      ["--class-weight", "3"],
      ["--class-weight", "purchase=0"],
      ["--class-weight", "purchase=x"],
      ["--class-weight", "purchase=3", "--modes", "ftrl"],
      ["--class-weight", "purchase=3", "--target", "action"],
    ]
  ) assert.equal(await quietly(() => runQuality(argv)), 2, argv.join(" "));
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/q.json`;
    const argv = ["--events", "20000", "--modes", "adagrad", "--features", "position"];
    assert.equal(
      await quietly(() => runQuality([...argv, "--class-weight", "purchase=3", "--out", out])),
      0,
    );
    const [heavy]: QualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.equal(await quietly(() => runQuality([...argv, "--out", out])), 0);
    const [plain]: QualityRow[] = JSON.parse(await Deno.readTextFile(out));
    assert.equal(heavy.classWeight, 3);
    assert.equal(plain.classWeight, 1);
    assert.ok(heavy.purchaseRecall! > plain.purchaseRecall!, JSON.stringify([heavy, plain]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluateAction() closes most of the room between the class frequencies and Bayes", () => {
  // 200k events (the 1M-event figures are in design.md): 8.7% open on original/position and
  // 6.4% on funnel/fields, measured (seed 42); the bound is loose on purpose.
  for (
    const [profile, features] of [["original", "position"], ["funnel", "fields"]] as const
  ) {
    const r = evaluateAction({ profile, featureSet: features, events: 200_000, seed: 42 });
    assert.ok(r.shareOpen! < 0.15, `${profile}/${features}: share ${r.shareOpen}`);
    assert.ok(r.logLoss! > r.bayesLogLoss!, `${profile}: above Bayes`);
  }
});
