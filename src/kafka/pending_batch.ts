/**
 * The hand-over between kafkajs' `eachBatch` callback and `EventConsumer`'s iterator: a fetched
 * batch being iterated, the promises each side waits on, and the wait of `eachBatch` until the
 * iterator has taken a batch (heartbeating meanwhile, so a slow loop body keeps the group
 * membership, and noticing a rebalance there).
 *
 * @module
 */

import type { ConsumedRecord } from "./consumed_record.ts";
import { settleWithin } from "../util/deadline.ts";
import type { ResponseLease } from "./response_pool.ts";

/**
 * A fetched batch's records, by index (an array is one): `at(i)` for `i` below `length` is the
 * record, which the consumer asks for once, when it hands it out.
 */
export interface FetchedRecords {
  /** How many records. */
  readonly length: number;
  /** Record `i` (`undefined` only outside `0 .. length - 1`). */
  at(i: number): ConsumedRecord | undefined;
}

/** A promise with its `resolve`, resolved at most once by whoever holds it. */
export interface Deferred {
  /** Resolves when `resolve` is called. */
  promise: Promise<void>;
  /** Resolves `promise`. */
  resolve: () => void;
}

/** A new unresolved {@linkcode Deferred}. */
export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

/** A batch `eachBatch` handed to the iterator. */
export interface PendingBatch {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** `partKey(topic, partition)`. */
  key: string;
  /**
   * Its records not processed before (in offset order): an array, or the fetched records made
   * one at a time as the iterator takes them (`fetchedRecords()` of `columnar_fetch.ts`).
   */
  records: FetchedRecords;
  /** Index of the next record to yield. */
  next: number;
  /** The batch was given up (rebalance, seek, close); yield nothing more of it. */
  aborted: boolean;
  /** Resolved when every record was yielded and processed, or on abort. */
  finished: Deferred;
  /**
   * Set while a rebalance waits for the record being processed; resolved (and cleared) when the
   * iterator asks for the next record.
   */
  progress: Deferred | undefined;
  /**
   * The pooled response its records are views of, with `recycleResponses`, until the batch is
   * retired (`response_release.ts`).
   */
  lease: ResponseLease | undefined;
  /** The number of its last record handed out (`response_release.ts`), 0 for none. */
  lastHandedOut: number;
}

/** A batch of `records` of one partition (views of `lease`'s response, if given), none yielded yet. */
export function pendingBatch(
  topic: string,
  partition: number,
  key: string,
  records: FetchedRecords,
  lease?: ResponseLease,
): PendingBatch {
  return {
    topic,
    partition,
    key,
    records,
    next: 0,
    aborted: false,
    finished: deferred(),
    progress: undefined,
    lease,
    lastHandedOut: 0,
  };
}

/** How {@linkcode waitUntilTaken} looks at the consumer while it waits. */
export interface BatchWatch {
  /** How often to check and heartbeat, ms. */
  tickMs: number;
  /** Whether the wait is still wanted: the consumer is open and running, its batch not stale. */
  valid(): boolean;
  /** kafkajs' heartbeat of the batch; throws when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** Whether the record being processed now is one of the batch waited on. */
  processingThis(): boolean;
}

/**
 * How a {@linkcode waitUntilTaken} ended: the batch was finished (every record taken and
 * processed, or given up by someone else), the wait stopped being valid, or a heartbeat failed
 * (a rebalance), with its error.
 */
export type WaitEnd = "finished" | "invalid" | { rebalance: unknown };

/**
 * Waits until every record of `pending` was taken and processed (`finished`), heartbeating every
 * `tickMs`, and says why it stopped. It stops early when the wait is no longer valid, or when a
 * heartbeat fails (a rebalance): then it first lets the record being processed finish (at most 5
 * s), so its offset can be committed before the partition may go to another member. It gives no
 * batch up itself: which batches a stop gives up is the caller's to say (with reading ahead, the
 * batch waited on is not the one being handed over).
 */
export async function waitUntilTaken(pending: PendingBatch, watch: BatchWatch): Promise<WaitEnd> {
  for (;;) {
    if (pending.aborted) return "finished";
    const done = await settleWithin(pending.finished.promise, watch.tickMs);
    if (done) return "finished";
    if (!watch.valid()) return "invalid";
    try {
      await watch.heartbeat();
    } catch (error) {
      if (watch.processingThis()) {
        pending.progress = deferred();
        await settleWithin(pending.progress.promise, 5000);
      }
      return { rebalance: error };
    }
  }
}
