/**
 * The featurizer's view of `<topic>.sessions` (`session_snapshot.ts`): it reads the topic from
 * its beginning for as long as the featurizer runs, gathering chunks into a
 * {@linkcode SnapshotAssembler}, and on an assignment gives a fresh partition's newest complete
 * snapshot once it has read that partition of the topic up to the end it had then — or, when
 * that takes longer than a bound, none (the partition is then replayed from its start, which is
 * slower but as correct).
 *
 * The topic's partition `p` holds the snapshots of input partition `p`.
 *
 * {@linkcode SnapshotFollower.keepFollowing} outlives its reader: when the consumer that reads
 * the topic fails or ends, it is closed and another is opened after a backoff (`retry.ts`),
 * which goes on from the offsets read so far ({@linkcode SnapshotFollower.read}); it gives up
 * only after a bounded number of attempts in a row that read nothing.
 *
 * @module
 */

import { type Clock, SYSTEM_CLOCK } from "../util/clock.ts";
import { settleWithin } from "../util/deadline.ts";
import { retry } from "../util/retry.ts";
import { type ReadChunk, type RestoredSnapshot, SnapshotAssembler } from "./session_snapshot.ts";

/** One record of `<topic>.sessions` as read. */
export interface SnapshotRecord extends ReadChunk {
  /** The record's partition of `<topic>.sessions` (the same as the input partition). */
  partition: number;
  /** The record's offset in that partition. */
  offset: number;
}

/** What {@linkcode SnapshotFollower.restore} found. */
export interface SnapshotLookup {
  /** The newest complete snapshot, or `undefined` (replay from the start). */
  snapshot: RestoredSnapshot | undefined;
  /** Whether the topic was read to the end asked for (`false`: gave up waiting). */
  caughtUp: boolean;
}

/** A reader of the topic that can be closed (an `EventConsumer` of it fits). */
export interface SnapshotSource extends AsyncIterable<SnapshotRecord> {
  /** Stops reading; ends a pending iteration. */
  close(): Promise<void>;
}

/** The reading of a source ended without an error, while the follower was to go on. */
export class SnapshotReaderEndedError extends Error {
  /** Creates the error. */
  constructor() {
    super("the reader of the session snapshots ended");
    this.name = "SnapshotReaderEndedError";
  }
}

/** Options of {@linkcode SnapshotFollower.keepFollowing}. */
export interface KeepFollowingOptions {
  /**
   * Attempts in a row (opening a reader, or a reader that failed before reading anything) before
   * giving up; a reader that read a record starts the count again.
   *
   * @default {10}
   */
  maxAttempts?: number;
  /**
   * The wait before the first new attempt, ms (doubled each time, up to `maxDelayMs`).
   *
   * @default {500}
   */
  initialDelayMs?: number;
  /**
   * The longest wait between attempts, ms.
   *
   * @default {5000}
   */
  maxDelayMs?: number;
  /**
   * How long closing a failed reader may take, ms.
   *
   * @default {5000}
   */
  closeTimeoutMs?: number;
  /** Stops following: the reader is closed, and the call resolves. */
  signal?: AbortSignal;
  /**
   * The clock of the waits.
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /** Called before each wait: why the attempt failed, its number, the wait. */
  onRetry?: (error: Error, attempt: number, delayMs: number) => void;
}

/** See the module documentation. */
export class SnapshotFollower {
  #assembler = new SnapshotAssembler({ keep: 2 });
  #read = new Map<number, number>();
  #waiters = new Set<() => void>();
  #ended = false;
  #records = 0;

  /** Chunks passed over while reading, and why. */
  get rejected(): SnapshotAssembler["rejected"] {
    return this.#assembler.rejected;
  }

  /** The next offset of `partition` of the topic read so far (0: none). */
  read(partition: number): number {
    return this.#read.get(partition) ?? 0;
  }

  /** Records of the topic read so far, over every reader. */
  get records(): number {
    return this.#records;
  }

  /** Reads `records` (the topic, in order) until they end; rejects on their error. */
  async follow(records: AsyncIterable<SnapshotRecord>): Promise<void> {
    try {
      for await (const r of records) this.#add(r);
    } finally {
      this.#end();
    }
  }

  /**
   * Reads the topic through readers made by `open` until `signal` aborts: a reader that fails or
   * ends is closed and, after a backoff, another is opened (it should go on from
   * {@linkcode SnapshotFollower.read} of each partition). Resolves when stopped.
   *
   * @throws the last error, after `maxAttempts` attempts in a row read nothing (lookups then
   *   return at once, as after {@linkcode SnapshotFollower.follow} ended)
   */
  async keepFollowing(
    open: () => Promise<SnapshotSource>,
    options: KeepFollowingOptions = {},
  ): Promise<void> {
    const { signal } = options;
    const clock = options.clock ?? SYSTEM_CLOCK;
    let current: SnapshotSource | undefined;
    const onAbort = () => void current?.close().catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    let failed: Error | undefined;
    let progressed = false;
    const attempt = async () => {
      progressed = false;
      const source = current = await open();
      try {
        if (signal?.aborted) return;
        for await (const r of source) {
          this.#add(r);
          progressed = true;
        }
        if (!signal?.aborted) throw new SnapshotReaderEndedError();
      } finally {
        current = undefined;
        await settleWithin(source.close(), options.closeTimeoutMs ?? 5000, clock);
      }
    };
    try {
      while (!signal?.aborted) {
        progressed = false;
        try {
          await retry(attempt, {
            failed,
            maxAttempts: options.maxAttempts ?? 10,
            initialDelayMs: options.initialDelayMs ?? 500,
            maxDelayMs: options.maxDelayMs ?? 5000,
            signal,
            clock,
            // A reader that read something failed afresh: a new count, from its first wait.
            shouldRetry: () => !progressed,
            onRetry: options.onRetry,
          });
          failed = undefined;
        } catch (error) {
          if (signal?.aborted) return;
          if (!progressed) throw error;
          failed = error instanceof Error ? error : new Error(String(error));
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#end();
    }
  }

  #add(r: SnapshotRecord): void {
    this.#assembler.add(r);
    this.#records++;
    this.#read.set(r.partition, Math.max(this.read(r.partition), r.offset + 1));
    for (const wake of this.#waiters) wake();
  }

  #end(): void {
    this.#ended = true;
    for (const wake of this.#waiters) wake();
  }

  /**
   * The newest complete snapshot of `partition`, once the topic's `partition` is read up to
   * `end` (its end offset when the partition was assigned), or after `timeoutMs` ms, on
   * `signal` or when the reading ends, whichever comes first.
   */
  async restore(
    partition: number,
    end: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SnapshotLookup> {
    const caughtUp = () => this.read(partition) >= end;
    if (!caughtUp() && !this.#ended && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          this.#waiters.delete(check);
          resolve();
        };
        const check = () => {
          if (caughtUp() || this.#ended) done();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener("abort", done);
        this.#waiters.add(check);
      });
    }
    return { snapshot: await this.#assembler.newest(partition), caughtUp: caughtUp() };
  }
}
