import assert from "node:assert/strict";
import { resolveConfig, UsageError } from "../../src/config.ts";

Deno.test("featurize: defaults, train's shared flags, and bounds on the record size", () => {
  const c = resolveConfig(["featurize"], {});
  assert.ok(c.command === "featurize");
  assert.equal(c.topic, "clickstream_v2");
  assert.equal(c.group, "clickstream-featurizer");
  assert.equal(c.triggerMs, 1000);
  assert.equal(c.maxBatchEvents, 20_000);
  assert.equal(c.rowsPerRecord, 2000);
  assert.equal(c.recordBytes, 256 * 1024);
  assert.equal(c.snapshotIntervalMs, 5000);
  assert.deepEqual(c.http, { hostname: "127.0.0.1", port: 8081 });
  const d = resolveConfig(
    ["featurize", "orders", "--trigger", "200ms", "--record-bytes", "1MB"],
    {},
  );
  assert.ok(d.command === "featurize");
  assert.deepEqual([d.topic, d.triggerMs, d.recordBytes], ["orders", 200, 1_000_000]);
  for (const bytes of ["512", "2MB"]) {
    assert.throws(
      () => resolveConfig(["featurize", "--record-bytes", bytes], {}),
      (e: unknown) =>
        e instanceof UsageError &&
        new RegExp(`--record-bytes must be .*got ${bytes}`).test(e.message),
    );
  }
  const e = resolveConfig(["featurize", "--snapshot-interval", "2s", "--http", ":9100"], {});
  assert.ok(e.command === "featurize");
  assert.deepEqual([e.snapshotIntervalMs, e.http.port], [2000, 9100]);
  assert.throws(
    () => resolveConfig(["featurize", "--snapshot-interval", "soon"], {}),
    (e: unknown) => e instanceof UsageError && /--snapshot-interval/.test(e.message),
  );
  assert.throws(
    () => resolveConfig(["featurize", "a", "b"], {}),
    (e: unknown) => e instanceof UsageError && /featurize takes one topic, got 2/.test(e.message),
  );
});
