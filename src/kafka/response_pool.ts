/**
 * Large Kafka response buffers handed out again once nothing may read them any more: the
 * {@linkcode ResponseFramer} takes a response of {@linkcode POOLED_RESPONSE_BYTES} or more from a
 * {@linkcode ResponsePool}, and only an explicit release gives it back. A fresh 16 MiB response
 * per fetch is ~4k page faults of fresh pages (system time: docs/design.md "Where `learn`'s time
 * goes"); a buffer read into again costs none.
 *
 * A pooled response carries a {@linkcode ResponseLease}: how many record sets the columnar fetch
 * (`columnar_fetch.ts`) decoded over it (`notePart`, each a partition's {@linkcode RecordColumns},
 * all noted while kafkajs parses the response, before any of its batches reaches a consumer),
 * and how many of those a consumer has settled since (`settlePart`: every record of that batch it
 * handed out is processed, and it hands out none of it again). The buffer goes back to the pool
 * when every part is settled; never when kafkajs decoded any record set of it itself (`taint`: its
 * messages are views whose lifetime nobody tracks). A part nobody settles (a batch kafkajs never
 * handed over, a consumer without `recycleResponses`, one closed or replaced) keeps its response
 * out of the pool for good: it is garbage-collected as an unpooled one would be. Releasing late
 * costs an allocation; releasing early would be silent corruption, so every doubt keeps it out.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { RecordColumns } from "./record_columns.ts";

/** Responses of this many bytes or more come from the pool (1 MiB: fetches, nothing else). */
export const POOLED_RESPONSE_BYTES = 1 << 20;

/** How a pooled response's parts stand; see the module documentation. */
export interface ResponseLease {
  /** The whole buffer (its size class), given back to the pool on release. */
  readonly whole: Buffer;
  /** The pool it came from. */
  readonly pool: ResponsePool;
  /** Record sets decoded over it (columnar). */
  parts: number;
  /** Parts settled by a consumer. */
  settled: number;
  /** kafkajs decoded a record set of it itself: never released. */
  tainted: boolean;
  /** Given back to the pool (a lease is used once). */
  released: boolean;
}

/** What a {@linkcode ResponsePool} has done, for tests and benchmarks. */
export interface ResponsePoolCounts {
  /** Buffers handed out. */
  taken: number;
  /** Of those, buffers handed out again (not allocated). */
  reused: number;
  /** Buffers given back. */
  released: number;
}

/** The lease of each pooled buffer handed out, by its `ArrayBuffer`. */
const leases = new WeakMap<ArrayBufferLike, ResponseLease>();
/** The lease each noted part (a record set's columns) was decoded from. */
const partLeases = new WeakMap<RecordColumns, ResponseLease>();

/**
 * The bytes a buffer of `total` bytes takes: `total` rounded up to an eighth of its power of two
 * (16 MiB and a fetch response's few header bytes more: 18 MiB), so that responses of about the
 * same size share a class.
 */
export function sizeClass(total: number): number {
  if (!Number.isInteger(total) || total < 1) {
    throw new RangeError(`A response size must be a positive integer, got ${total}`);
  }
  const step = Math.max(1, 2 ** (Math.floor(Math.log2(total)) - 3));
  return Math.ceil(total / step) * step;
}

/**
 * Free response buffers by size class, at most `keep` of them in all. A pool is off until
 * {@linkcode ResponsePool.enable}: the framer then allocates every response as before (a process
 * whose consumers never release — `train`, `featurize` — has no use for the size classes' slack).
 */
export class ResponsePool {
  readonly #keep: number;
  #enabled = false;
  /** Free buffers, oldest first. */
  #free: Buffer[] = [];
  readonly #counts: ResponsePoolCounts = { taken: 0, reused: 0, released: 0 };

  /**
   * A pool keeping at most `keep` free buffers (beyond them, the oldest is let go).
   *
   * @default {keep} 4
   */
  constructor(keep = 4) {
    if (!Number.isInteger(keep) || keep < 0) {
      throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
    }
    this.#keep = keep;
  }

  /** Whether the framer takes large responses from this pool ({@linkcode ResponsePool.enable}). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * Has the framer take large responses from this pool from now on (a consumer with
   * `recycleResponses` does, for the process' pool); it stays on.
   */
  enable(): void {
    this.#enabled = true;
  }

  /** Free buffers held now. */
  get free(): number {
    return this.#free.length;
  }

  /** A copy of the counters. */
  counts(): ResponsePoolCounts {
    return { ...this.#counts };
  }

  /**
   * A buffer of exactly `total` bytes (a view at the start of one of its size class), free or
   * new, with a fresh {@linkcode ResponseLease}.
   */
  take(total: number): Buffer {
    const bytes = sizeClass(total);
    const i = this.#free.findIndex((b) => b.length === bytes);
    let whole: Buffer;
    if (i >= 0) {
      whole = this.#free.splice(i, 1)[0];
      this.#counts.reused++;
    } else {
      whole = Buffer.allocUnsafeSlow(bytes);
    }
    this.#counts.taken++;
    leases.set(whole.buffer, {
      whole,
      pool: this,
      parts: 0,
      settled: 0,
      tainted: false,
      released: false,
    });
    return whole.subarray(0, total);
  }

  /** Takes back the buffer of `lease` (whose every part is settled). */
  #giveBack(lease: ResponseLease): void {
    lease.released = true;
    leases.delete(lease.whole.buffer);
    this.#counts.released++;
    this.#free.push(lease.whole);
    if (this.#free.length > this.#keep) this.#free.shift();
  }

  /** @internal Settles one part of `lease`; see {@linkcode settlePart}. */
  settle(lease: ResponseLease): void {
    if (lease.pool !== this || lease.released || lease.tainted) return;
    if (++lease.settled === lease.parts) this.#giveBack(lease);
  }
}

/** The pool the framer takes large responses from (one per process). */
export const responsePool: ResponsePool = new ResponsePool();

/** The lease of the pooled response `bytes` is a view of, if it is one. */
export function leaseOf(bytes: Uint8Array): ResponseLease | undefined {
  const lease = leases.get(bytes.buffer);
  return lease === undefined || lease.released ? undefined : lease;
}

/** Notes that `columns` were decoded over a response (a no-op if it is not a pooled one). */
export function notePart(columns: RecordColumns): void {
  const lease = leaseOf(columns.bytes);
  if (lease === undefined) return;
  lease.parts++;
  partLeases.set(columns, lease);
}

/**
 * Notes that kafkajs decoded a record set of the response `bytes` is a view of itself: that
 * response is never released.
 */
export function taint(bytes: Uint8Array): void {
  const lease = leaseOf(bytes);
  if (lease !== undefined) lease.tainted = true;
}

/**
 * Takes the lease a part (`columns`) was decoded from, once: the consumer that hands the part's
 * records out settles it later with {@linkcode settlePart}. `undefined` for a part of no pooled
 * response, or taken already.
 */
export function claimPart(columns: RecordColumns): ResponseLease | undefined {
  const lease = partLeases.get(columns);
  if (lease !== undefined) partLeases.delete(columns);
  return lease;
}

/**
 * Settles a part claimed with {@linkcode claimPart}: no record of it will be read again. The
 * response goes back to its pool when this was its last part.
 */
export function settlePart(lease: ResponseLease): void {
  lease.pool.settle(lease);
}
