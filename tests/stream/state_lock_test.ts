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

Deno.test("acquireStateLock() refuses a live owner even without read access to /proc, and takes over a silent one", async () => {
  const dir = await Deno.makeTempDir();
  const probe = (extra: string[] = []) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        "--allow-sys=hostname",
        ...extra,
        new URL("./_lock_probe.ts", import.meta.url).pathname,
        dir,
      ],
      stdout: "piped",
    }).output().then((o) => new TextDecoder().decode(o.stdout).trim());
  try {
    const lock = await acquireStateLock(dir);
    assert.match(await probe(), /^refused: The state directory is in use/);
    await lock.release();
    // A lock whose heartbeat stopped long ago (its owner was killed) is taken over.
    await Deno.writeTextFile(
      join(dir, "LOCK"),
      JSON.stringify({ pid: Deno.pid, startTicks: null, hostname: Deno.hostname(), since: "x" }),
    );
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(join(dir, "LOCK"), old, old);
    assert.equal(await probe(), "took over");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
