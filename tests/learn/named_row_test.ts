import assert from "node:assert/strict";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import { Featurizer } from "../../src/learn/features.ts";
import { namedRow } from "../../src/learn/named_row.ts";
import { hashUrl, urlBucket, urlSign } from "../../src/learn/url_hash.ts";
import { stream } from "./_stream.ts";

Deno.test("namedRow() gives a shop row's 32 dense features by name and its url bucket and sign", () => {
  const set = featureSet("shop");
  const { events } = stream(200);
  const batch = new FeatureBatch(set.width, { sparseWidth: set.urlBuckets });
  const f = new Featurizer({ featureSet: set });
  for (const e of events) f.push(e, batch);
  for (let i = 0; i < batch.length; i++) {
    const row = namedRow(set.names, batch, i);
    assert.deepEqual(Object.keys(row.dense), [...set.names]);
    set.names.forEach((name, j) => assert.ok(Object.is(row.dense[name], batch.rows[i * 32 + j])));
    const h = hashUrl(events[i].url);
    assert.deepEqual(row.sparse, [[urlBucket(h, 4096), urlSign(h)]]);
  }
  assert.throws(() => namedRow(set.names, batch, batch.length), /Cannot name row 200/);
  assert.throws(() => namedRow(["a"], batch, 0), /with 1 names/);
});

Deno.test("namedRow() of a dense-only set has no sparse entries", () => {
  const set = featureSet("session");
  const batch = new FeatureBatch(set.width);
  new Featurizer({ featureSet: set }).push(stream(1).events[0], batch);
  assert.deepEqual(namedRow(set.names, batch, 0).sparse, []);
});
