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

Deno.test("train and learn take --class-weight purchase=W, adagrad only", () => {
  for (const command of ["train", "learn"]) {
    const c = resolveConfig([command, "--class-weight", "purchase=3"], {});
    assert.ok(c.command === "train" || c.command === "learn");
    assert.equal(c.classWeight, 3);
    const d = resolveConfig([command], {});
    assert.ok(d.command === "train" || d.command === "learn");
    assert.equal(d.classWeight, 1);
    assert.throws(
      () => resolveConfig([command, "--class-weight", "purchase=3", "--mode", "ftrl"], {}),
      (e: unknown) =>
        e instanceof UsageError && /AdaGrad only, but --mode asks for mode "ftrl"/.test(e.message),
    );
    assert.throws(
      () => resolveConfig([command, "--class-weight", "view=2"], {}),
      (e: unknown) => e instanceof UsageError && /got "view=2"/.test(e.message),
    );
  }
});

Deno.test("train and learn take --target action, adagrad only", () => {
  for (const command of ["train", "learn"]) {
    const c = resolveConfig([command, "--target", "action"], {});
    assert.ok(c.command === "train" || c.command === "learn");
    assert.equal(c.target, "action");
    assert.equal(resolveConfig([command], {}).command === command, true);
    assert.throws(
      () => resolveConfig([command, "--target", "action", "--mode", "ftrl"], {}),
      (e: unknown) =>
        e instanceof UsageError &&
        /--target action learns by AdaGrad only, but --mode asks for mode "ftrl"/.test(e.message),
    );
    assert.throws(
      () => resolveConfig([command, "--target", "action", "--class-weight", "purchase=2"], {}),
      (e: unknown) => e instanceof UsageError && /--target purchase only/.test(e.message),
    );
  }
});
