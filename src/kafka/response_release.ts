/**
 * `ResponseRelease`: when the records of an `EventConsumer` with `recycleResponses` let their
 * fetch responses go back to the pool (`response_pool.ts`). The consumer numbers the records it
 * hands out; its caller says, with {@linkcode ResponseRelease.release}, that it is done with every
 * record handed out up to one of them (the last of a micro-batch it has processed: records carried
 * into the next batch, or fetched meanwhile, were handed out after it). A batch settles its part
 * of a response once it is retired — taken to its end, or given up by a seek, a rebalance, a
 * restart or a close: the consumer hands out nothing more of it — and its last record handed out
 * is released. A record the consumer does not know (another consumer's, one before a reconnect)
 * releases nothing, and at most 64 retired parts wait for a release (beyond, the oldest is let go
 * unsettled: a caller that stops releasing holds no buffer for ever).
 *
 * @module
 */

import type { ConsumedRecord } from "./consumed_record.ts";
import type { PendingBatch } from "./pending_batch.ts";
import { type ResponseLease, settlePart } from "./response_pool.ts";

/**
 * Retired parts kept waiting at most: beyond them (a caller that stopped releasing) the oldest is
 * let go unsettled, its response garbage-collected, rather than held for ever.
 */
const MAX_WAITING = 64;

/** See the module documentation. */
export class ResponseRelease {
  /** Records handed out so far (the number of the last one). */
  #handedOut = 0;
  /** Every record up to this number was released by the caller. */
  #released = 0;
  #numbers = new WeakMap<ConsumedRecord, number>();
  /** Retired batches' parts waiting for their last record's release. */
  #waiting: { lease: ResponseLease; last: number }[] = [];

  /** How many retired parts wait for a release now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** `record` of `batch` is handed out now. */
  handedOut(batch: PendingBatch, record: ConsumedRecord): void {
    const n = ++this.#handedOut;
    batch.lastHandedOut = n;
    this.#numbers.set(record, n);
  }

  /** `batch` hands out nothing more: its part settles once its last record is released. */
  retired(batch: PendingBatch): void {
    const lease = batch.lease;
    if (lease === undefined) return;
    batch.lease = undefined; // settled once, however often the batch is dropped
    if (batch.lastHandedOut <= this.#released) settlePart(lease);
    else if (this.#waiting.push({ lease, last: batch.lastHandedOut }) > MAX_WAITING) {
      this.#waiting.shift();
    }
  }

  /**
   * The caller will read no record handed out up to and including `through` again (nor any view
   * of its bytes): the parts of retired batches whose records all are among them settle.
   */
  release(through: ConsumedRecord): void {
    const n = this.#numbers.get(through);
    if (n === undefined || n <= this.#released) return;
    this.#released = n;
    const waiting = this.#waiting;
    let kept = 0;
    for (const w of waiting) {
      if (w.last <= n) settlePart(w.lease);
      else waiting[kept++] = w;
    }
    waiting.length = kept;
  }
}
