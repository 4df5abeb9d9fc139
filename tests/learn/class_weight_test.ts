import assert from "node:assert/strict";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";

// The dense model's behaviour, on a dense-only set (the default, shop, adds hashed urls).
const DENSE_SET = featureSet("session");
import { Featurizer } from "../../src/learn/features.ts";
import { LogisticModel } from "../../src/learn/model.ts";
import { stream } from "./_stream.ts";

const { events } = stream(20_000);
const W = DENSE_SET.width;
const logit = (p: number) => Math.log(p / (1 - p));

function batchOf(from: number, to: number): FeatureBatch {
  const f = new Featurizer({ featureSet: DENSE_SET });
  const all = new FeatureBatch(W);
  for (const e of events) f.push(e, all);
  const b = new FeatureBatch(W);
  for (let i = from; i < to; i++) {
    const k = b.add();
    b.rows.set(all.rows.subarray(i * W, (i + 1) * W), k * W);
    b.labels[k] = all.labels[i];
  }
  return b;
}

Deno.test("class weight 1 is the unweighted model, bit for bit, and leaves the state unchanged", () => {
  const a = new LogisticModel(DENSE_SET.names);
  const b = new LogisticModel(DENSE_SET.names, { classWeight: 1 });
  const ba = batchOf(0, events.length), bb = batchOf(0, events.length);
  a.processBatch(ba);
  b.processBatch(bb);
  assert.deepEqual(bb.scores, ba.scores);
  assert.deepEqual(b.toJSON(), a.toJSON());
  assert.equal("classWeight" in a.toJSON(), false);
});

Deno.test("class weight W: scores are the prior-corrected probabilities, recall rises, state restores", () => {
  const plain = new LogisticModel(DENSE_SET.names);
  const heavy = new LogisticModel(DENSE_SET.names, { classWeight: 3 });
  const bp = batchOf(0, events.length), bh = batchOf(0, events.length);
  plain.processBatch(bp);
  heavy.processBatch(bh);
  // The weighted model leans to purchases; its corrected score ends near the plain one.
  const row = bh.rows.subarray((bh.length - 1) * W, bh.length * W);
  const corrected = heavy.predict(row);
  const raw = heavy.coefficients();
  let z = raw.rawIntercept;
  for (let j = 0; j < W; j++) z += raw.rawWeights[j] * row[j];
  assert.ok(Math.abs(logit(corrected) - (z - Math.log(3))) < 1e-9, `${logit(corrected)} vs ${z}`);
  let hitsPlain = 0, hitsHeavy = 0;
  for (let i = 0; i < bh.length; i++) {
    if (bh.labels[i] !== 1) continue;
    if (bp.scores[i] >= 0.5) hitsPlain++;
    if (bh.scores[i] >= 0.25) hitsHeavy++; // the weighted model's own 0.5: 1 / (1 + W)
  }
  assert.ok(hitsHeavy > hitsPlain, `${hitsHeavy} vs ${hitsPlain}`);
  const state = JSON.parse(JSON.stringify(heavy.toJSON()));
  assert.equal(state.classWeight, 3);
  const back = LogisticModel.fromJSON(state);
  assert.equal(back.classWeight, 3);
  assert.equal(back.predict(row), corrected);
});

Deno.test("class weight: refused outside adagrad and when not a positive number", () => {
  assert.throws(
    () => new LogisticModel(DENSE_SET.names, { mode: "ftrl", classWeight: 3 }),
    /mode ftrl with class weight 3/,
  );
  assert.throws(
    () => new LogisticModel(DENSE_SET.names, { classWeight: 0 }),
    /class weight 0/,
  );
});
