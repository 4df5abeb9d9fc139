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
 * @module
 */

import { type ReadChunk, type RestoredSnapshot, SnapshotAssembler } from "./session_snapshot.ts";

/** One record of `<topic>.sessions` as read. */
export interface SnapshotRecord extends ReadChunk {
  partition: number;
  offset: number;
}

/** What {@linkcode SnapshotFollower.restore} found. */
export interface SnapshotLookup {
  /** The newest complete snapshot, or `undefined` (replay from the start). */
  snapshot: RestoredSnapshot | undefined;
  /** Whether the topic was read to the end asked for (`false`: gave up waiting). */
  caughtUp: boolean;
}

/** See the module documentation. */
export class SnapshotFollower {
  #assembler = new SnapshotAssembler({ keep: 2 });
  #read = new Map<number, number>();
  #waiters = new Set<() => void>();
  #failed: Error | undefined;
  #ended = false;

  /** Chunks passed over while reading, and why. */
  get rejected(): SnapshotAssembler["rejected"] {
    return this.#assembler.rejected;
  }

  /** The next offset of `partition` of the topic read so far (0: none). */
  read(partition: number): number {
    return this.#read.get(partition) ?? 0;
  }

  /** Reads `records` (the topic, in order) until they end; rejects on their error. */
  async follow(records: AsyncIterable<SnapshotRecord>): Promise<void> {
    try {
      for await (const r of records) {
        this.#assembler.add(r);
        this.#read.set(r.partition, Math.max(this.read(r.partition), r.offset + 1));
        for (const wake of this.#waiters) wake();
      }
    } catch (error) {
      this.#failed = error as Error;
      throw error;
    } finally {
      this.#ended = true;
      for (const wake of this.#waiters) wake();
    }
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
