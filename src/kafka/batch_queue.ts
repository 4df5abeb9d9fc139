/**
 * `BatchQueue`: the batches `EventConsumer`'s `eachBatch` handed to its iterator and not yet
 * finished, oldest first — the one being taken and, reading ahead, at most one fetched behind it
 * — with what giving them up involves: the resume points of batches read ahead
 * (`resume_points.ts`), the watch that heartbeats while batches are held and no `eachBatch`
 * waits, and the flag that holds hand-overs back while kafkajs rejoins the group. With
 * `recycleResponses` it tells its `ResponseRelease` (`response_release.ts`) each record it hands
 * out and each batch it retires (taken to its end, dropped, given up).
 *
 * @module
 */

import { settleWithin } from "../util/deadline.ts";
import { type ConsumedRecord, partKey } from "./consumed_record.ts";
import type { PendingBatch } from "./pending_batch.ts";
import { fetchedColumns } from "./columnar_fetch.ts";
import { claimPart, responsePool } from "./response_pool.ts";
import { ResponseRelease } from "./response_release.ts";
import { ResumePoints } from "./resume_points.ts";

/** See the module documentation. */
export class BatchQueue {
  /** Whether batches are read ahead (their offsets resolved in kafkajs at hand-over). */
  readonly readAhead: boolean;
  /** Where partitions must go on after batches read ahead were given up untaken. */
  readonly resume: ResumePoints = new ResumePoints();
  /** How many `eachBatch` calls are waiting (heartbeating) now. */
  waiting = 0;
  /** A rebalance was noticed and kafkajs rejoins: hand nothing over until it has. */
  rejoining = false;
  /** With `recycleResponses`: when the batches' responses may go back to the pool. */
  readonly release: ResponseRelease | undefined;
  #batches: PendingBatch[] = [];
  #tickMs: number;
  #watching = false;

  /**
   * @param readAhead whether `eachBatch` reads ahead
   * @param tickMs how often the watch heartbeats, ms
   * @param recycle whether the batches' responses are released (`recycleResponses`)
   */
  constructor(readAhead: boolean, tickMs: number, recycle = false) {
    this.readAhead = readAhead;
    this.#tickMs = tickMs;
    this.release = recycle ? new ResponseRelease() : undefined;
    // Responses are pooled only in a process with a consumer that gives them back.
    if (recycle) responsePool.enable();
  }

  /** How many batches are held. */
  get length(): number {
    return this.#batches.length;
  }

  /** The batch being taken (the oldest), if any. */
  get head(): PendingBatch | undefined {
    return this.#batches[0];
  }

  /** The batch handed over before `batch` (reading ahead: the one `batch` waits behind). */
  before(batch: PendingBatch): PendingBatch | undefined {
    const i = this.#batches.indexOf(batch);
    return i > 0 ? this.#batches[i - 1] : undefined;
  }

  /**
   * Where a batch of partition `key` fetched from `fetchedOffset` goes on when handed over:
   * `position`, the first offset to hand out — never again what this member processed
   * (`processed`, the next offset after it: e.g. a refetch after a rebalance that kept the
   * partition), nor the record being processed now (`inFlight`, its offset if of this
   * partition) — or `refetchFrom` when a resume point holds the batch back: kafkajs must fetch
   * the partition from there again.
   */
  from(
    key: string,
    fetchedOffset: number,
    processed: number | undefined,
    inFlight: number | undefined,
  ): { position: number } | { refetchFrom: number } {
    const admitted = this.resume.admit(key, fetchedOffset);
    if (admitted !== true) return { refetchFrom: admitted };
    return { position: Math.max(processed ?? -1, inFlight === undefined ? -1 : inFlight + 1) };
  }

  /**
   * Hands `batch` over, behind the ones held; with `recycleResponses`, it holds the part of its
   * response its records (those of `fetched`, kafkajs' batch) are views of.
   */
  push(batch: PendingBatch, fetched?: unknown): void {
    if (this.release !== undefined && fetched !== undefined) {
      const columns = fetchedColumns(fetched)?.columns;
      if (columns !== undefined) batch.lease = claimPart(columns);
    }
    this.#batches.push(batch);
  }

  /**
   * The next record of the oldest batch, marking each batch taken to its end finished and going on
   * with the one behind it; `undefined` when none is held.
   */
  take(): ConsumedRecord | undefined {
    for (;;) {
      const batch = this.#batches[0];
      if (!batch) return undefined;
      const progress = batch.progress;
      if (progress) {
        batch.progress = undefined;
        progress.resolve();
      }
      if (!batch.aborted && batch.next < batch.records.length) {
        const record = batch.records.at(batch.next++)!;
        this.release?.handedOut(batch, record);
        return record;
      }
      // Every record of the batch was taken and processed: let kafkajs go on.
      batch.finished.resolve();
      this.#batches.shift();
      this.release?.retired(batch);
    }
  }

  /** Takes `batch` out (it is finished, or given up by a seek: its position is set anew). */
  drop(batch: PendingBatch): void {
    batch.aborted = true;
    batch.finished.resolve();
    const i = this.#batches.indexOf(batch);
    if (i >= 0) this.#batches.splice(i, 1);
    this.release?.retired(batch);
  }

  /** Drops the oldest batch if it is taken to its end (the loop stopped there: kafkajs goes on). */
  dropTaken(): void {
    const batch = this.#batches[0];
    if (batch && batch.next >= batch.records.length) this.drop(batch);
  }

  /** The partition key of `record`: records come a batch at a time, so the oldest batch's. */
  keyOf(record: ConsumedRecord): string {
    const batch = this.#batches[0];
    return batch !== undefined && batch.partition === record.partition &&
        batch.topic === record.topic
      ? batch.key
      : partKey(record.topic, record.partition);
  }

  /** Drops the batches of one partition (a seek). */
  dropPartition(topic: string, partition: number): void {
    for (const batch of [...this.#batches]) {
      if (batch.topic === topic && batch.partition === partition) this.drop(batch);
    }
  }

  /**
   * Gives up every batch held (a rebalance, a restart, a close): nothing more of them is
   * yielded, whoever waits on them goes on, and what a batch read ahead had not handed out must
   * come again before anything fetched past it.
   */
  abortAll(): void {
    for (const batch of this.#batches.splice(0)) {
      if (this.readAhead && !batch.aborted && batch.next < batch.records.length) {
        this.resume.gaveUp(batch.key, batch.records.at(batch.next)!.offset);
      }
      batch.aborted = true;
      batch.finished.resolve();
      this.release?.retired(batch);
    }
  }

  /**
   * The member (re)joined the group, or kafkajs restarted it: the batches held are the generation
   * before's — their partitions may be another member's now (even with a fetch of one broker's
   * still on its way while another broker's fetcher rejoined), and kafkajs fetches the kept ones
   * again from their committed offsets. Gives them up, lets hand-overs go on, and forgets the
   * resume points of partitions `assigned` says are no longer this member's.
   */
  joined(assigned: (key: string) => boolean): void {
    this.abortAll();
    this.rejoining = false;
    this.resume.keep(assigned);
  }

  /**
   * kafkajs noticed a rebalance itself (its `REBALANCING` event: a heartbeat between fetches,
   * while a batch read ahead is being taken) and rejoins: a member that may lose a partition
   * stops handing out its records now.
   */
  rebalancing(): void {
    this.rejoining = true;
    this.abortAll();
  }

  /** A heartbeat failed with `error`: gives the batches up, and holds hand-overs back if kafkajs will rejoin. */
  rebalanced(error: unknown): void {
    if (rejoins(error)) this.rejoining = true;
    this.abortAll();
  }

  /**
   * While batches are held and no `eachBatch` waits (kafkajs is fetching, or has nothing to
   * fetch), heartbeats every tick as a waiting `eachBatch` does, so that a rebalance stops the
   * iterator within a tick however kafkajs notices it. One watch runs at a time; it ends when no
   * batch is held or `closed()`.
   */
  watch(heartbeat: () => Promise<void>, closed: () => boolean): void {
    if (this.#watching) return;
    this.#watching = true;
    void (async () => {
      try {
        while (!closed() && this.#batches.length > 0) {
          if (await settleWithin(this.#batches[0].finished.promise, this.#tickMs)) continue;
          if (this.waiting > 0 || closed() || this.#batches.length === 0) continue;
          try {
            await heartbeat();
          } catch (error) {
            this.rebalanced(error);
          }
        }
      } finally {
        this.#watching = false;
      }
    })();
  }
}

/** Whether kafkajs rejoins the group after `error` (its `isRebalancing`, or an unknown member). */
export function rejoins(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === "REBALANCE_IN_PROGRESS" || type === "NOT_COORDINATOR_FOR_GROUP" ||
    type === "ILLEGAL_GENERATION" || type === "UNKNOWN_MEMBER_ID";
}
