/**
 * `ReconnectingConsumer`: an `EventConsumer` that outlives its broker connection. kafkajs
 * restarts its own consumer after retriable failures, but some failures end it for good (a crash
 * it does not restart, an `onAssignment` hook that could not reach the broker); then the
 * consumer's iterator throws. This wrapper closes the dead consumer (bounded), waits with
 * exponential backoff, and connects a new one — again and again until it joins or the signal
 * aborts — while the caller's `for await` simply waits. The new member's `onAssignment` hook is
 * where a caller that keeps its own offsets (the trainer) seeks back to them, so nothing is lost
 * and what is redelivered can be skipped by offset.
 *
 * @example A consumer that rides out a lost broker (needs one: `deno task kafka`)
 * ```ts ignore
 * import { KafkaClient } from "./client.ts";
 * import { EventConsumer } from "./consumer.ts";
 * import { ReconnectingConsumer } from "./reconnecting_consumer.ts";
 *
 * const client = new KafkaClient({ brokers: "127.0.0.1:9092" });
 * const options = { topic: "clickstream_v2", groupId: "g", autoCommit: false } as const;
 * await using source = await ReconnectingConsumer.connect(
 *   () => EventConsumer.connect(client, options),
 *   {
 *     onReconnecting: (error, attempt, delayMs) =>
 *       console.warn(`attempt ${attempt} failed (${error.message}); again in ${delayMs} ms`),
 *     onReconnected: (attempts, downMs) => console.warn(`back after ${downMs} ms`),
 *   },
 * );
 * for await (const record of source) {
 *   console.log(record.partition, record.offset);
 *   await source.commit();
 * }
 * ```
 *
 * @module
 */

import type { ConsumedRecord, PartitionOffset } from "./consumer.ts";
import { isReadyIterator, type ReadyIterator } from "../util/ready_iterator.ts";
import { type Clock, SYSTEM_CLOCK } from "../util/clock.ts";
import { settleWithin } from "../util/deadline.ts";
import { retry } from "../util/retry.ts";

/** What the wrapper needs of a consumer (`EventConsumer` has it). */
export interface RecordSource extends AsyncIterable<ConsumedRecord> {
  /** Commits offsets to the group. */
  commit(offsets?: readonly PartitionOffset[]): Promise<void>;
  /** Leaves the group and disconnects; ends a pending iteration. */
  close(): Promise<void>;
}

/** Options of {@linkcode ReconnectingConsumer.connect}. */
export interface ReconnectingConsumerOptions {
  /** Stops reconnecting (and closes the consumer) when aborted. */
  signal?: AbortSignal;
  /**
   * First wait before reconnecting, ms.
   *
   * @default {500}
   */
  initialBackoffMs?: number;
  /**
   * Longest wait between attempts, ms.
   *
   * @default {5000}
   */
  maxBackoffMs?: number;
  /**
   * How long closing a dead consumer may take, ms.
   *
   * @default {5000}
   */
  closeTimeoutMs?: number;
  /**
   * The clock of the waits.
   *
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /**
   * Called before each wait: the error that ended the consumer (or the attempt), the attempt
   * number, the wait.
   */
  onReconnecting?: (error: Error, attempt: number, delayMs: number) => void;
  /** Called once a new consumer has joined: attempts it took, ms since the consumer failed. */
  onReconnected?: (attempts: number, downMs: number) => void;
}

/** A consumer that reconnects; see the module documentation. */
export class ReconnectingConsumer<C extends RecordSource = RecordSource>
  implements AsyncIterable<ConsumedRecord>, AsyncDisposable {
  #connect: () => Promise<C>;
  #current: C;
  #options: ReconnectingConsumerOptions;
  #closed = false;
  #closing: Promise<void> | undefined;
  #reconnects = 0;
  /** Aborted by `close()`: ends a wait between attempts at once. */
  #stop = new AbortController();

  private constructor(
    connect: () => Promise<C>,
    first: C,
    options: ReconnectingConsumerOptions,
  ) {
    this.#connect = connect;
    this.#current = first;
    this.#options = options;
    options.signal?.addEventListener("abort", () => void this.close(), { once: true });
  }

  /**
   * Connects the first consumer with `connect` — without retrying: a broker that cannot be
   * reached at start, or refuses the credentials, is reported at once — and returns the wrapper.
   */
  static async connect<C extends RecordSource>(
    connect: () => Promise<C>,
    options: ReconnectingConsumerOptions = {},
  ): Promise<ReconnectingConsumer<C>> {
    options.signal?.throwIfAborted();
    return new ReconnectingConsumer(connect, await connect(), options);
  }

  /** The consumer in use now. */
  get current(): C {
    return this.#current;
  }

  /** How many times a new consumer replaced a failed one. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Commits offsets through the current consumer. */
  commit(offsets?: readonly PartitionOffset[]): Promise<void> {
    return this.#current.commit(offsets);
  }

  /**
   * Iterates the records of the current consumer, replacing it when it fails. A
   * {@linkcode ReadyIterator}: `nextReady()` hands out what the current consumer already holds.
   */
  [Symbol.asyncIterator](): ReadyIterator<ConsumedRecord> {
    let source: C | undefined;
    let records: AsyncIterator<ConsumedRecord> | undefined;
    const iterator = (): AsyncIterator<ConsumedRecord> => {
      if (source !== this.#current || records === undefined) {
        source = this.#current;
        records = source[Symbol.asyncIterator]();
      }
      return records;
    };
    const done: IteratorResult<ConsumedRecord> = { done: true, value: undefined };
    return {
      next: async () => {
        while (!this.#closed) {
          const consumer = this.#current;
          try {
            // The end of a consumer's records means it was closed.
            return await iterator().next();
          } catch (error) {
            if (this.#closed) break;
            await this.#replace(
              consumer,
              error instanceof Error ? error : new Error(String(error)),
            );
          }
        }
        return done;
      },
      nextReady: () => {
        if (this.#closed) return undefined;
        const it = iterator();
        return isReadyIterator(it) ? it.nextReady() : undefined;
      },
      return: async () => {
        await records?.return?.();
        return done;
      },
    };
  }

  /** Closes `dead` and connects new consumers with backoff until one joins or this is closed. */
  async #replace(dead: C, cause: Error): Promise<void> {
    const o = this.#options;
    const clock = o.clock ?? SYSTEM_CLOCK;
    const failedAt = clock.now();
    await settleWithin(dead.close(), o.closeTimeoutMs ?? 5000);
    let next: C;
    let attempts = 0;
    try {
      // The consumer that failed was attempt 1: wait first, then connect (attempt 2 on).
      next = await retry((attempt) => {
        attempts = attempt - 1;
        return this.#connect();
      }, {
        failed: cause,
        initialDelayMs: o.initialBackoffMs ?? 500,
        maxDelayMs: o.maxBackoffMs ?? 5000,
        signal: this.#stop.signal,
        clock,
        onRetry: o.onReconnecting,
      });
    } catch (error) {
      if (this.#closed) return;
      throw error;
    }
    if (this.#closed) {
      await settleWithin(next.close(), o.closeTimeoutMs ?? 5000);
      return;
    }
    this.#current = next;
    this.#reconnects++;
    o.onReconnected?.(attempts, clock.now() - failedAt);
  }

  /** Stops reconnecting and closes the current consumer. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#stop.abort();
      await this.#current.close();
    })();
    return this.#closing;
  }

  /** Same as {@linkcode ReconnectingConsumer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
