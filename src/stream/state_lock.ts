/**
 * The single-writer lock of a state directory: one trainer writes one directory. The lock is a
 * file created exclusively (`O_CREAT|O_EXCL`) that names its owner: process id, the process's
 * start time (from `/proc`, so a reused pid is not mistaken for the owner) and host; the owner
 * also touches it every few seconds (a heartbeat). A second trainer on the same directory refuses
 * to start with a message naming the owner; a lock left by a process that no longer runs (killed
 * with SIGKILL, say) is recognised as stale and taken over. Where `/proc` cannot be read (Deno
 * allows it only with full read permission), a lock whose heartbeat is older than
 * {@linkcode STALE_AFTER_MS} is stale.
 *
 * @module
 */

import { join } from "node:path";

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), or `null`. */
  startTicks: number | null;
  hostname: string;
  /** When the lock was taken, ISO time. */
  since: string;
}

/** The state directory is locked by a live process. */
export class StateLockedError extends Error {
  /** The lock's owner. */
  readonly owner: LockOwner;
  /** The lock file. */
  readonly file: string;
  /** Creates the error. */
  constructor(file: string, owner: LockOwner) {
    super(
      `The state directory is in use: ${file} is held by process ${owner.pid} on ${owner.hostname} since ${owner.since}. ` +
        "One trainer writes one state directory; stop that trainer or give this one another --state-dir.",
    );
    this.name = "StateLockedError";
    this.owner = owner;
    this.file = file;
  }
}

/** How often the owner touches its lock file, ms. */
export const HEARTBEAT_MS = 2000;
/** A lock whose heartbeat is older than this is stale when `/proc` cannot tell, ms. */
export const STALE_AFTER_MS = 15_000;

/**
 * Start time of process `pid` in clock ticks since boot; `null` when it does not run;
 * `undefined` when this process may not read `/proc` (then nobody can tell from here).
 */
export function processStartTicks(pid: number): number | null | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Field 2 (comm) may contain spaces and parentheses: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    return null;
  }
}

async function isAlive(owner: LockOwner, file: string): Promise<boolean> {
  if (owner.hostname !== Deno.hostname()) return true; // cannot tell: assume it runs
  const ticks = processStartTicks(owner.pid);
  if (ticks === undefined) {
    const stat = await Deno.stat(file).catch(() => null);
    const touched = stat?.mtime?.getTime() ?? 0;
    return Date.now() - touched < STALE_AFTER_MS;
  }
  if (ticks === null) return false;
  return owner.startTicks === null || ticks === owner.startTicks;
}

/** A held lock; release it with `release()` or `await using`. */
export interface StateLock extends AsyncDisposable {
  /** The lock file. */
  readonly file: string;
  /** Whether a stale lock was taken over. */
  readonly tookOver: LockOwner | null;
  /** Removes the lock file. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the lock of `dir` (created if missing).
 * @throws {StateLockedError} when a live process holds it
 */
export async function acquireStateLock(dir: string): Promise<StateLock> {
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, "LOCK");
  const me: LockOwner = {
    pid: Deno.pid,
    startTicks: processStartTicks(Deno.pid) ?? null,
    hostname: Deno.hostname(),
    since: new Date().toISOString(),
  };
  let tookOver: LockOwner | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(file, JSON.stringify(me) + "\n", { createNew: true });
      let released = false;
      const heartbeat = setInterval(() => {
        const now = new Date();
        Deno.utime(file, now, now).catch(() => {});
      }, HEARTBEAT_MS);
      Deno.unrefTimer(heartbeat);
      const release = async () => {
        if (released) return;
        released = true;
        clearInterval(heartbeat);
        await Deno.remove(file).catch(() => {});
      };
      return { file, tookOver, release, [Symbol.asyncDispose]: release };
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
    if (owner.pid !== -1 && await isAlive(owner, file)) throw new StateLockedError(file, owner);
    tookOver = owner;
    await Deno.remove(file).catch(() => {});
  }
  throw new Error(
    `Cannot take the lock ${file}: it keeps reappearing; another trainer is starting.`,
  );
}
