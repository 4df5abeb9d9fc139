import assert from "node:assert/strict";
import { resolveConfig, UsageError } from "../../src/config.ts";

Deno.test("learn: defaults; no group unless given (one is derived per state directory)", () => {
  const c = resolveConfig(["learn"], {});
  assert.ok(c.command === "learn");
  assert.equal(c.topic, "clickstream_v2");
  assert.equal(c.group, null);
  assert.equal(c.stateDir, "./state-learn");
  assert.equal(c.mode, "adagrad");
  assert.equal(c.checkpointIntervalMs, 5000);
  const d = resolveConfig(["learn", "t", "--group", "g1", "--mode", "ftrl"], {});
  assert.ok(d.command === "learn");
  assert.deepEqual([d.topic, d.group, d.mode], ["t", "g1", "ftrl"]);
});

Deno.test("learn refuses --mode seed as a bad flag, saying why and what to use", () => {
  assert.throws(() => resolveConfig(["learn", "--mode", "seed"], {}), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(
      e.message,
      /^--mode seed is not available to learn: .*batch boundaries.*use adagrad or ftrl$/,
    );
    assert.match(e.usage, /Usage: clickstream learn/);
    return true;
  });
});
