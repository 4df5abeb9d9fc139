import assert from "node:assert/strict";
import { join } from "node:path";
import {
  acquireStateLock,
  type AcquireStateLockOptions,
  STALE_AFTER_MS,
  StateLockedError,
} from "../../src/stream/state_lock.ts";
import { fakeProc, type FakeProcess, procFiles } from "../_helpers/fake_proc.ts";

/** A clock that only moves when the lock sleeps; `onSleep` sees the time after each sleep. */
function fakeClock(onSleep: (t: number) => void = () => {}) {
  const clock = { t: 0, sleeps: 0 };
  const options: AcquireStateLockOptions = {
    now: () => clock.t,
    sleep: (ms) => {
      clock.t += ms;
      clock.sleeps++;
      onSleep(clock.t);
      return Promise.resolve();
    },
  };
  return { clock, options };
}

const OWNER = 4242;
const START = 777;

async function writeLock(dir: string, pid = OWNER, startTicks: number | null = START) {
  await Deno.writeTextFile(
    join(dir, "LOCK"),
    JSON.stringify({ pid, startTicks, hostname: Deno.hostname(), since: "x" }),
  );
}

Deno.test("acquireStateLock() refuses a second writer naming the owner", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using lock = await acquireStateLock(dir);
    assert.equal(lock.tookOver, null);
    assert.equal(lock.waited, null);
    const { clock, options } = fakeClock();
    await assert.rejects(
      () => acquireStateLock(dir, { ...options, waitMs: 5000 }),
      (e: unknown) =>
        e instanceof StateLockedError && e.owner.pid === Deno.pid && e.waitedMs === 5000 &&
        /in use: .*LOCK is held by process \d+ .*\(running .*after waiting 5\.0s \(--lock-wait\)/
          .test(e.message),
    );
    assert.equal(clock.t, 5000);
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
        "0",
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

Deno.test("acquireStateLock() waits for an owner whose threads are still exiting, then takes over its zombie", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeLock(dir);
    // The main thread is a zombie, another thread still runs; 300 ms later every thread has exited.
    let owner: FakeProcess = { startTicks: START, threads: ["Z", "R", "S"] };
    const { clock, options } = fakeClock((t) => {
      if (t >= 300) owner = { startTicks: START, threads: ["Z"] };
    });
    const proc = fakeProc(() => procFiles({ [OWNER]: owner }));
    await using lock = await acquireStateLock(dir, { ...options, proc, waitMs: 5000 });
    assert.equal(clock.sleeps, 3);
    assert.equal(lock.waited?.ms, 300);
    assert.equal(lock.waited?.owner.pid, OWNER);
    assert.match(lock.waited?.detail ?? "", /^exiting: its main thread is a zombie/);
    assert.equal(lock.tookOver?.pid, OWNER);
    assert.match(lock.staleBecause ?? "", /^a zombie: every thread has exited \(1 Z\)/);
    const mine = JSON.parse(await Deno.readTextFile(join(dir, "LOCK")));
    assert.equal(mine.pid, Deno.pid);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireStateLock() takes over a dead owner at once", async (t) => {
  const cases: [string, Record<number, FakeProcess>, RegExp][] = [
    ["gone", {}, /^gone/],
    ["every thread a zombie", { [OWNER]: { startTicks: START, threads: ["Z"] } }, /^a zombie/],
    ["every thread dead", { [OWNER]: { startTicks: START, threads: ["X", "X"] } }, /2 X/],
    ["pid reused", { [OWNER]: { startTicks: START + 5, threads: ["R"] } }, /now belongs to/],
  ];
  for (const [name, processes, because] of cases) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir();
      try {
        await writeLock(dir);
        const { clock, options } = fakeClock();
        const proc = fakeProc(() => procFiles(processes));
        await using lock = await acquireStateLock(dir, { ...options, proc });
        assert.equal(clock.sleeps, 0);
        assert.equal(lock.waited, null);
        assert.equal(lock.tookOver?.pid, OWNER);
        assert.match(lock.staleBecause ?? "", because);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("acquireStateLock() refuses after --lock-wait an owner that keeps running, naming file, pid and flag", async (t) => {
  const running: [string, FakeProcess][] = [
    ["main thread a zombie, another running", { startTicks: START, threads: ["Z", "R"] }],
    ["some threads exited, the main one runs", { startTicks: START, threads: ["R", "Z"] }],
  ];
  for (const [name, process] of running) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir();
      try {
        await writeLock(dir);
        const { clock, options } = fakeClock();
        const proc = fakeProc(() => procFiles({ [OWNER]: process }));
        await assert.rejects(
          () => acquireStateLock(dir, { ...options, proc, waitMs: 2000, pollMs: 100 }),
          (e: unknown) =>
            e instanceof StateLockedError && e.owner.pid === OWNER && e.waitedMs === 2000 &&
            e.file === join(dir, "LOCK") && e.message.includes(join(dir, "LOCK")) &&
            e.message.includes(`process ${OWNER}`) && e.message.includes("--lock-wait"),
        );
        assert.equal(clock.t, 2000);
        assert.equal(clock.sleeps, 20);
        assert.equal(JSON.parse(await Deno.readTextFile(join(dir, "LOCK"))).pid, OWNER);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
  await t.step("--lock-wait 0s refuses without waiting", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await writeLock(dir);
      const { clock, options } = fakeClock();
      const proc = fakeProc(() => procFiles({ [OWNER]: { startTicks: START, threads: ["S"] } }));
      await assert.rejects(
        () => acquireStateLock(dir, { ...options, proc, waitMs: 0 }),
        (e: unknown) => e instanceof StateLockedError && e.waitedMs === 0,
      );
      assert.equal(clock.sleeps, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("acquireStateLock() without /proc permission goes by the heartbeat", async (t) => {
  const proc = fakeProc(() => procFiles({ [OWNER]: { startTicks: START, threads: ["Z"] } }), true);
  await t.step("a fresh heartbeat: waits, then refuses", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await writeLock(dir);
      const { clock, options } = fakeClock();
      await assert.rejects(
        () => acquireStateLock(dir, { ...options, proc, waitMs: 500 }),
        (e: unknown) =>
          e instanceof StateLockedError && e.owner.pid === OWNER &&
          /no permission to read \/proc\/4242; its heartbeat is \d+ms old/.test(e.message),
      );
      assert.equal(clock.t, 500);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("a stale heartbeat: taken over at once", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await writeLock(dir);
      const old = new Date(Date.now() - STALE_AFTER_MS - 60_000);
      await Deno.utime(join(dir, "LOCK"), old, old);
      const { clock, options } = fakeClock();
      await using lock = await acquireStateLock(dir, { ...options, proc });
      assert.equal(clock.sleeps, 0);
      assert.equal(lock.tookOver?.pid, OWNER);
      assert.match(lock.staleBecause ?? "", /heartbeat is .* old, older than 15\.0s/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
