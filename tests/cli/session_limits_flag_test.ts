import assert from "node:assert/strict";
import { resolveConfig, UsageError } from "../../src/config.ts";
import { SessionStore } from "../../src/learn/session_store.ts";
import { DEFAULT_SESSION_LIMITS } from "../../src/cli/session_limits_flag.ts";

Deno.test("session limits: the defaults are the session store's own", () => {
  const store = new SessionStore();
  assert.deepEqual(DEFAULT_SESSION_LIMITS, {
    maxSessions: store.maxSessions,
    idleSeconds: store.idleSeconds,
  });
  for (const command of ["train", "featurize"]) {
    const c = resolveConfig([command], {});
    assert.ok(c.command === "train" || c.command === "featurize");
    assert.deepEqual(c.sessions, { maxSessions: 100_000, idleSeconds: 1800 });
  }
});

Deno.test("session limits: train and featurize take --max-sessions and --session-idle", () => {
  for (const command of ["train", "featurize"]) {
    const c = resolveConfig([command, "--max-sessions", "1M", "--session-idle", "24h"], {});
    assert.ok(c.command === "train" || c.command === "featurize");
    assert.deepEqual(c.sessions, { maxSessions: 1_000_000, idleSeconds: 86_400 });
    const d = resolveConfig([command, "--session-idle", "90"], {});
    assert.ok(d.command === "train" || d.command === "featurize");
    assert.equal(d.sessions.idleSeconds, 90);
  }
});

Deno.test("session limits: a bad value is refused naming the flag and the value", () => {
  const cases: [string[], RegExp][] = [
    [["--max-sessions", "0"], /--max-sessions must be ≥ 1, got 0/],
    [["--max-sessions", "many"], /--max-sessions/],
    [["--session-idle", "500ms"], /--session-idle must be at least 1s .*got "500ms"/],
    [["--session-idle", "later"], /--session-idle/],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => resolveConfig(["train", ...args], {}),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      args.join(" "),
    );
  }
});
