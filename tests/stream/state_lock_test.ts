import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireStateLock, StateLockedError } from "../../src/stream/state_lock.ts";

Deno.test("acquireStateLock() refuses a second writer naming the owner", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using lock = await acquireStateLock(dir);
    assert.equal(lock.tookOver, null);
    await assert.rejects(
      () => acquireStateLock(dir),
      (e: unknown) =>
        e instanceof StateLockedError && e.owner.pid === Deno.pid && /in use/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireStateLock() takes over the lock of a process that no longer runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A real process that has exited: its pid no longer runs (or runs with another start time).
    const child = new Deno.Command("true").spawn();
    await child.status;
    await Deno.writeTextFile(
      join(dir, "LOCK"),
      JSON.stringify({ pid: child.pid, startTicks: 1, hostname: Deno.hostname(), since: "x" }),
    );
    const lock = await acquireStateLock(dir);
    assert.equal(lock.tookOver?.pid, child.pid);
    await lock.release();
    await assert.rejects(() => Deno.stat(join(dir, "LOCK")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireStateLock() takes over a half-written lock file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "LOCK"), '{"pid": 12');
    await using lock = await acquireStateLock(dir);
    assert.ok(lock.tookOver !== null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
