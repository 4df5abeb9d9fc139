/**
 * The single-writer lock of a state directory: one trainer writes one directory. The lock is a
 * file created exclusively (`O_CREAT|O_EXCL`) that names its owner: process id, the process's
 * start time (from `/proc`, so a reused pid is not mistaken for the owner) and host; the owner
 * also touches it every few seconds (a heartbeat). A lock left by a process that no longer runs
 * is recognised as stale and taken over: the process is gone, is a zombie (killed with SIGKILL and
 * not yet reaped by its parent — see {@linkcode processStatus}), or its pid now belongs to another
 * process. While the owner runs (a supervisor restarting a trainer it has just killed may find it
 * still tearing down its threads), a second trainer retries for up to `waitMs`
 * (`--lock-wait`), then refuses to start with a message naming the owner. Where `/proc` cannot be
 * read (Deno allows it only with full read permission), a lock whose heartbeat is older than
 * {@linkcode STALE_AFTER_MS} is stale.
 *
 * @module
 */

import { join } from "node:path";
import { formatDuration } from "../util/units.ts";
import { processStartTicks, processStatus, type ProcReader, realProc } from "./process_status.ts";

/** Who holds a lock. */
export interface LockOwner {
  /** The owner's process id. */
  pid: number;
  /** Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), or `null`. */
  startTicks: number | null;
  /** The owner's host name. */
  hostname: string;
  /** When the lock was taken, ISO time. */
  since: string;
}

/** The state directory is locked by a live process, still after waiting `--lock-wait`. */
export class StateLockedError extends Error {
  /** The lock's owner. */
  readonly owner: LockOwner;
  /** The lock file. */
  readonly file: string;
  /** How long this process waited for the owner to go, ms. */
  readonly waitedMs: number;
  /** Creates the error; `why` says what is known of the owner, e.g. `"running (threads: 9 S)"`. */
  constructor(file: string, owner: LockOwner, waitedMs = 0, why = "") {
    super(
      `The state directory is in use: ${file} is held by process ${owner.pid} on ${owner.hostname} since ${owner.since}` +
        `${why ? ` (${why})` : ""}; still held after waiting ${
          formatDuration(waitedMs)
        } (--lock-wait). ` +
        "One trainer writes one state directory; stop that trainer, give this one another --state-dir, " +
        "or wait longer for it to exit with --lock-wait.",
    );
    this.name = "StateLockedError";
    this.owner = owner;
    this.file = file;
    this.waitedMs = waitedMs;
  }
}

/** How often the owner touches its lock file, ms. */
export const HEARTBEAT_MS = 2000;
/** A lock whose heartbeat is older than this is stale when `/proc` cannot tell, ms. */
export const STALE_AFTER_MS = 15_000;
/** How long a trainer waits for a live owner to go before refusing, ms (`--lock-wait`). */
export const LOCK_WAIT_MS = 5000;
/** How often a waiting trainer looks at the lock again, ms. */
export const LOCK_POLL_MS = 100;

/** Whether the owner of a lock runs, and what is known of it. */
interface OwnerStatus {
  alive: boolean;
  detail: string;
}

async function ownerStatus(
  owner: LockOwner,
  file: string,
  proc: ProcReader,
): Promise<OwnerStatus> {
  if (owner.hostname !== Deno.hostname()) {
    return { alive: true, detail: `on another host, so it cannot be told whether it runs` };
  }
  const status = processStatus(owner.pid, owner.startTicks, proc);
  if (status.state !== "unknown") {
    return { alive: status.state === "running", detail: status.detail };
  }
  const stat = await Deno.stat(file).catch(() => null);
  const ageMs = Date.now() - (stat?.mtime?.getTime() ?? 0);
  const alive = ageMs < STALE_AFTER_MS;
  return {
    alive,
    detail: `${status.detail}; its heartbeat is ${formatDuration(Math.max(0, ageMs))} old${
      alive ? "" : `, older than ${formatDuration(STALE_AFTER_MS)}`
    }`,
  };
}

/** The wait for a live owner, when there was one. */
export interface LockWait {
  /** How long, ms. */
  ms: number;
  /** The owner waited for. */
  owner: LockOwner;
  /** What that owner was when first seen, e.g. `"exiting: its main thread is a zombie …"`. */
  detail: string;
}

/** A held lock; release it with `release()` or `await using`. */
export interface StateLock extends AsyncDisposable {
  /** The lock file. */
  readonly file: string;
  /** The owner of the stale lock taken over, or `null` when the directory was free. */
  readonly tookOver: LockOwner | null;
  /** Why that owner was judged gone, e.g. `"a zombie: every thread has exited (1 Z)"`. */
  readonly staleBecause: string | null;
  /** The wait for a live owner to go, or `null` when there was none. */
  readonly waited: LockWait | null;
  /** Removes the lock file. Idempotent. */
  release(): Promise<void>;
}

/** Options of {@linkcode acquireStateLock}; tests inject the clock and `/proc`. */
export interface AcquireStateLockOptions {
  /**
   * How long to retry while the owner runs before refusing, ms.
   * @default {LOCK_WAIT_MS}
   */
  waitMs?: number;
  /**
   * How often to look again while waiting, ms.
   * @default {LOCK_POLL_MS}
   */
  pollMs?: number;
  /**
   * A monotonic clock, ms.
   * @default {performance.now}
   */
  now?: () => number;
  /**
   * Waits `ms`.
   * @default a `setTimeout` promise
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Reads `/proc`.
   * @default {realProc}
   */
  proc?: ProcReader;
}

/**
 * Takes the lock of `dir` (created if missing), waiting up to `waitMs` for a live owner to go.
 * @throws {StateLockedError} when a live process holds it still after `waitMs`
 */
export async function acquireStateLock(
  dir: string,
  options: AcquireStateLockOptions = {},
): Promise<StateLock> {
  const {
    waitMs = LOCK_WAIT_MS,
    pollMs = LOCK_POLL_MS,
    now = () => performance.now(),
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    proc = realProc,
  } = options;
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, "LOCK");
  const me: LockOwner = {
    pid: Deno.pid,
    startTicks: processStartTicks(Deno.pid) ?? null,
    hostname: Deno.hostname(),
    since: new Date().toISOString(),
  };
  const started = now();
  const maxPolls = Math.ceil(waitMs / Math.max(1, pollMs));
  let tookOver: LockOwner | null = null;
  let staleBecause: string | null = null;
  let waited: LockWait | null = null;
  let takeovers = 0;
  for (let polls = 0;;) {
    try {
      await Deno.writeTextFile(file, JSON.stringify(me) + "\n", { createNew: true });
      let released = false;
      const heartbeat = setInterval(() => {
        const touched = new Date();
        Deno.utime(file, touched, touched).catch(() => {});
      }, HEARTBEAT_MS);
      Deno.unrefTimer(heartbeat);
      const release = async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        await Deno.remove(file).catch(() => {});
      };
      if (waited) waited.ms = now() - started;
      return { file, tookOver, staleBecause, waited, release, [Symbol.asyncDispose]: release };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    let owner: LockOwner;
    try {
      owner = JSON.parse(await Deno.readTextFile(file));
    } catch {
      // Unreadable or half-written lock: the writer died between create and write.
      owner = { pid: -1, startTicks: null, hostname: Deno.hostname(), since: "unknown" };
    }
    const status: OwnerStatus = owner.pid === -1
      ? { alive: false, detail: "the lock file is unreadable or half-written" }
      : await ownerStatus(owner, file, proc);
    if (status.alive) {
      waited ??= { ms: 0, owner, detail: status.detail };
      const elapsed = now() - started;
      if (elapsed >= waitMs || polls >= maxPolls) {
        throw new StateLockedError(file, owner, elapsed, status.detail);
      }
      polls++;
      await sleep(Math.min(pollMs, waitMs - elapsed));
      continue;
    }
    if (++takeovers > 3) {
      throw new Error(
        `Cannot take the lock ${file}: it keeps reappearing; another trainer is starting.`,
      );
    }
    tookOver = owner;
    staleBecause = status.detail;
    await Deno.remove(file).catch(() => {});
  }
}
