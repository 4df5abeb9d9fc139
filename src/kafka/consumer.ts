/**
 * `EventConsumer`: a Kafka consumer-group member as a pull `AsyncIterable` of records, so callers
 * write `for await (const record of consumer)`. kafkajs pushes fetched batches into an
 * `eachBatch` callback, and fetches the next only when that callback returns. Here the callback
 * hands its batch to the iterator and waits (bounded buffering): reading ahead (`readAhead`, the
 * default without `autoCommit`; `batch_queue.ts`) until the batch before it was taken, so kafkajs
 * fetches the next while the iterator works through this one; otherwise until every record of it
 * was taken. While waiting it keeps heartbeating, so a slow loop body does not lose the group
 * membership, and it notices rebalances and seeks.
 *
 * Offsets: a record counts as processed when the iterator is asked for the next one (or the
 * loop ends with `break`/`return`, or `close()` is called). With `autoCommit` (the default) the
 * processed offsets are committed after every batch, before a rebalance gives the partitions
 * away, and on `close()`, so a restarted consumer in the same group continues where it stopped
 * and receives nothing twice. Without it, `commit()` commits explicitly (what the trainer does
 * after its checkpoint). `seek()`, `pause()`/`resume()` and `onAssignment` serve a trainer that
 * keeps its own offsets.
 *
 * The consumer yields records (bytes and metadata, `consumed_record.ts`); turning them into typed
 * events is the caller's (`typedRecords()` of `src/events/typed_records.ts`). The offset
 * bookkeeping is `consumer_offsets.ts`, the batch hand-over `pending_batch.ts`, `release()`
 * (fetch responses reused, with `recycleResponses`) `response_release.ts`.
 *
 * @module
 */

import type { ReadyIterator } from "../util/ready_iterator.ts";
import { connectWithin, type KafkaClient, settleWithin } from "./client.ts";
import {
  type ConsumedRecord,
  type PartitionOffset,
  partKey,
  type TopicPartitions,
} from "./consumed_record.ts";
import { fetchedRecords } from "./columnar_fetch.ts";
import { ConsumerOffsets } from "./consumer_offsets.ts";
import { BatchQueue } from "./batch_queue.ts";
import { consumerSettings, type EventConsumerOptions } from "./consumer_options.ts";
import type { Consumer, EachBatchPayload } from "./kafkajs.ts";
import { type Deferred, deferred, pendingBatch, waitUntilTaken } from "./pending_batch.ts";

export type { ConsumedRecord, PartitionOffset, TopicPartitions } from "./consumed_record.ts";
export type { EventConsumerOptions } from "./consumer_options.ts";

/**
 * A consumer-group member as an async iterable of records; make one with
 * {@linkcode EventConsumer.connect}. Iterate it from one loop at a time.
 */
export class EventConsumer implements AsyncIterable<ConsumedRecord>, AsyncDisposable {
  #consumer: Consumer;
  #topics: string[];
  #autoCommit: boolean;
  #tickMs: number;
  #onAssignment: EventConsumerOptions["onAssignment"];
  #onRestart: EventConsumerOptions["onRestart"];
  #onFetch: EventConsumerOptions["onFetch"];
  /** The member id of the last group join, until a restart makes it stale. */
  #memberId: string | undefined;
  #signal: AbortSignal | undefined;
  #closeTimeoutMs: number;
  #onAbort = () => void this.close();

  /** The batches handed to the iterator and not yet finished (`batch_queue.ts`). */
  #queue: BatchQueue;
  #wake: Deferred = deferred();
  /** The result `nextReady()` hands out, every time with the record of now. */
  #readyResult: { done: false; value: ConsumedRecord } = { done: false, value: undefined! };
  /** The record yielded last and not yet counted as processed. */
  #inFlight: ConsumedRecord | undefined;
  /** Assigned partitions, processed and committed offsets. */
  #offsets = new ConsumerOffsets();
  #error: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The running `onAssignment` hook; batches wait for it so its seeks apply first. */
  #assignmentHook: Promise<void> | undefined;

  private constructor(consumer: Consumer, topics: string[], options: EventConsumerOptions) {
    this.#consumer = consumer;
    this.#topics = topics;
    this.#autoCommit = options.autoCommit ?? true;
    this.#tickMs = Math.max(100, Math.floor((options.heartbeatIntervalMs ?? 1000) / 2));
    const readAhead = options.readAhead ?? !this.#autoCommit;
    this.#queue = new BatchQueue(readAhead, this.#tickMs, options.recycleResponses);
    this.#onAssignment = options.onAssignment;
    this.#onRestart = options.onRestart;
    this.#onFetch = options.onFetch;
    this.#signal = options.signal;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 15_000;
  }

  /**
   * Connects, subscribes, joins the group (resolves once this member has its first assignment)
   * and starts fetching. Throws `KafkaUnavailableError` (naming the brokers) when they cannot be
   * reached, or the group not joined, within `connectTimeoutMs`.
   *
   * @example Reading events (needs a broker: `deno task kafka`)
   * ```ts ignore
   * import { typedRecords } from "../events/typed_records.ts";
   * import { KafkaClient } from "./client.ts";
   * import { EventConsumer } from "./consumer.ts";
   *
   * const client = new KafkaClient({ brokers: "127.0.0.1:9092" });
   * const options = { topic: "clickstream_v2", groupId: "readers" };
   * await using consumer = await EventConsumer.connect(client, options);
   * for await (const r of typedRecords(consumer)) console.log(r.ok ? r.event : r.error.message);
   * ```
   */
  static async connect(client: KafkaClient, options: EventConsumerOptions): Promise<EventConsumer> {
    const { topics, fromBeginning, config } = consumerSettings(options);
    options.signal?.throwIfAborted();
    const kafkajsConsumer = client.kafkajs.consumer(config);
    const consumer = new EventConsumer(kafkajsConsumer, topics, options);
    await connectWithin(
      client.brokers,
      options.connectTimeoutMs ?? 30_000,
      async () => {
        await kafkajsConsumer.connect();
        await kafkajsConsumer.subscribe({ topics, fromBeginning });
        await consumer.#start();
      },
      () => kafkajsConsumer.disconnect(),
      () => client.diagnoseTls(),
    );
    return consumer;
  }

  async #start(): Promise<void> {
    const c = this.#consumer;
    let joined!: () => void;
    let failed!: (error: Error) => void;
    const firstJoin = new Promise<void>((resolve, reject) => {
      joined = resolve;
      failed = reject;
    });
    c.on(c.events.GROUP_JOIN, (event) => {
      const assignment = Object.entries(event.payload.memberAssignment).map((
        [topic, partitions],
      ) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
      this.#offsets.assign(assignment);
      this.#queue.joined((key) => this.#offsets.isAssigned(key));
      const memberId = event.payload.memberId;
      this.#memberId = memberId;
      const hook = this.#onAssignment;
      if (hook) {
        this.#assignmentHook = Promise.resolve().then(() => hook(assignment, memberId)).catch((
          error,
        ) => {
          this.#fail(error instanceof Error ? error : new Error(String(error)));
        });
      }
      joined();
    });
    c.on(c.events.REBALANCING, () => this.#queue.rebalancing());
    const onFetch = this.#onFetch;
    if (onFetch) c.on(c.events.FETCH, () => onFetch());
    c.on(c.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.#fail(event.payload.error);
        failed(event.payload.error);
        return;
      }
      this.#queue.joined(() => true); // the restarted consumer joins anew
      const previous = this.#memberId;
      this.#memberId = undefined;
      if (previous !== undefined && !this.#closed) this.#onRestart?.(previous);
    });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    // kafkajs' run() returns even when the first join failed and is being retried (e.g. "the
    // group coordinator is not available" on a new group): connected means joined.
    await firstJoin;
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#wake.resolve();
  }

  /**
   * The bridge: hand the batch to the iterator and wait (heartbeating) until it is taken, or,
   * reading ahead, until the batch before it is.
   */
  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (this.#assignmentHook) {
      await this.#assignmentHook;
      this.#assignmentHook = undefined;
    }
    if (this.#closed || this.#queue.rejoining || !isRunning() || isStale()) return;
    const key = partKey(batch.topic, batch.partition);
    // A batch of the generation before of a partition now another member's (from a fetch that
    // was on its way, with two or more brokers) is not handed over.
    if (!this.#offsets.isAssigned(key)) return;
    const inFlight = this.#inFlight;
    const from = this.#queue.from(
      key,
      Number((batch as { fetchedOffset?: string }).fetchedOffset ?? -1),
      this.#offsets.next(key),
      inFlight?.partition === batch.partition && inFlight.topic === batch.topic
        ? inFlight.offset
        : undefined,
    );
    if ("refetchFrom" in from) {
      resolveOffset(String(from.refetchFrom - 1)); // fetch again from the first record given up
      return;
    }
    const position = from.position;
    const records = fetchedRecords(batch, position);
    if (records.length === 0) {
      if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
      return;
    }
    const pending = pendingBatch(batch.topic, batch.partition, key, records);
    this.#queue.push(pending, batch);
    this.#wake.resolve();

    // Reading ahead, kafkajs fetches after this batch as soon as this returns: resolved now, its
    // offsets are kafkajs' fetch position only (commits are of what was processed). A batch
    // given up later was given up by a seek or a rebalance, which set that position anew.
    const readAhead = this.#queue.readAhead;
    if (readAhead) resolveOffset(batch.lastOffset());
    const waitFor = readAhead ? this.#queue.before(pending) : pending;
    let rebalance: unknown;
    if (waitFor !== undefined) {
      this.#queue.waiting++;
      const end = await waitUntilTaken(waitFor, {
        tickMs: this.#tickMs,
        valid: () => !this.#closed && isRunning() && !isStale() && !pending.aborted,
        heartbeat,
        processingThis: () =>
          this.#inFlight?.partition === waitFor.partition &&
          this.#inFlight.topic === waitFor.topic,
      }).finally(() => this.#queue.waiting--);
      if (end === "invalid") {
        // This batch is stale (a seek) or the consumer stops; the one before it, being taken,
        // goes on unless the consumer stops.
        this.#queue.drop(pending);
        if (this.#closed || !isRunning()) this.#queue.abortAll();
      } else if (end !== "finished") {
        rebalance = end.rebalance;
        this.#queue.rebalanced(rebalance);
      }
    }
    if (!readAhead) {
      this.#queue.drop(pending);
      const processed = this.#offsets.next(key);
      if (processed !== undefined && processed > position) resolveOffset(String(processed - 1));
    }
    if (this.#autoCommit && !this.#closed) {
      try {
        await this.#offsets.commitProcessed((offsets) => payload.commitOffsetsIfNecessary(offsets));
      } catch (error) {
        rebalance ??= error;
      }
    }
    if (rebalance) throw rebalance; // kafkajs rejoins the group
    if (readAhead && this.#queue.length > 0) this.#queue.watch(heartbeat, () => this.#closed);
  }

  /** Counts the last yielded record as processed. */
  #settleInFlight(): void {
    const record = this.#inFlight;
    if (!record) return;
    this.#inFlight = undefined;
    const key = this.#queue.keyOf(record);
    this.#offsets.markProcessed(key, record.topic, record.partition, record.offset);
  }

  async #next(): Promise<IteratorResult<ConsumedRecord>> {
    for (;;) {
      const ready = this.#ready(false);
      if (ready) return ready;
      if (this.#error) throw this.#error;
      this.#wake = deferred();
      await this.#wake.promise;
    }
  }

  /**
   * The next record if one is there without waiting (counting the last one as processed), the
   * end when closed, `undefined` otherwise. Shared by `next()` and `nextReady()` (`reuse`: one
   * result object for every record, read before the next call — the micro-batcher takes tens of
   * thousands in a row, and an object each was a sixth of the main thread's garbage).
   */
  #ready(reuse: boolean): IteratorResult<ConsumedRecord> | undefined {
    this.#settleInFlight();
    if (this.#error) return undefined;
    if (this.#closed) return { done: true, value: undefined };
    const record = this.#queue.take();
    if (record === undefined) {
      this.#readyResult.value = undefined!; // holds no record (and its fetch) while idle
      return undefined;
    }
    this.#inFlight = record;
    if (!reuse) return { done: false, value: record };
    const result = this.#readyResult;
    result.value = record;
    return result;
  }

  /**
   * Iterates the records; `break` counts the last record as processed. Besides `next()`, the
   * iterator has `nextReady()` ({@linkcode ReadyIterator}): a record already fetched, without a
   * promise per record, for a reader (the micro-batcher) that takes thousands in a row; its
   * result object is reused (read `value` before calling again).
   */
  [Symbol.asyncIterator](): ReadyIterator<ConsumedRecord> {
    return {
      next: () => this.#next(),
      nextReady: () => this.#ready(true),
      return: () => {
        this.#settleInFlight();
        this.#queue.dropTaken(); // a loop that stopped at a batch's end lets kafkajs go on
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** `recycleResponses`: no record handed out up to `through` is read again (`response_release.ts`). */
  release(through: ConsumedRecord): void {
    this.#queue.release?.release(through);
  }

  /** The partitions assigned to this member now. */
  assignment(): TopicPartitions[] {
    return this.#offsets.assignment();
  }

  /** The next offset per partition after what has been processed (what `commit()` would commit). */
  processedOffsets(): PartitionOffset[] {
    return this.#offsets.processedOffsets();
  }

  /**
   * Commits offsets to the group: the processed ones (default), or the given ones (each the
   * next offset to read). Counts the last yielded record as processed first.
   */
  async commit(offsets?: readonly PartitionOffset[]): Promise<void> {
    this.#settleInFlight();
    if (offsets) {
      const list = offsets.map((o) => ({
        topic: o.topic ?? this.#topics[0],
        partition: o.partition,
        offset: String(o.offset),
      }));
      await this.#consumer.commitOffsets(list);
      for (const o of list) {
        this.#offsets.markCommitted(partKey(o.topic, o.partition), Number(o.offset));
      }
      return;
    }
    await this.#offsets.commitProcessed(async ({ topics }) => {
      await this.#consumer.commitOffsets(
        topics.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, ...p }))),
      );
    });
  }

  /**
   * Continues `partition` (of `topic`, default the first topic) from `offset`: records of it
   * already fetched but not yielded are dropped, and its processed offset is forgotten.
   */
  seek(partition: number, offset: number, topic: string = this.#topics[0]): void {
    if (!Number.isInteger(offset) || offset < 0) {
      throw new RangeError(
        `Cannot seek partition ${partition}: offset must be >= 0, got ${offset}.`,
      );
    }
    this.#offsets.forget(partKey(topic, partition));
    this.#queue.resume.forget(partKey(topic, partition));
    if (this.#inFlight?.topic === topic && this.#inFlight.partition === partition) {
      this.#inFlight = undefined;
    }
    this.#queue.dropPartition(topic, partition);
    this.#consumer.seek({ topic, partition, offset: String(offset) });
  }

  /**
   * Stops fetching the given partitions (default: all of every topic). Records already fetched
   * (at most one batch, or two reading ahead) are still delivered; heartbeats go on.
   */
  pause(partitions?: readonly TopicPartitions[]): void {
    this.#consumer.pause(partitions ? [...partitions] : this.#topics.map((topic) => ({ topic })));
  }

  /** Fetches the given partitions (default: all) again after {@linkcode EventConsumer.pause}. */
  resume(partitions?: readonly TopicPartitions[]): void {
    this.#consumer.resume(partitions ? [...partitions] : this.#topics.map((topic) => ({ topic })));
  }

  /** The paused partitions. */
  paused(): TopicPartitions[] {
    return this.#consumer.paused().map((p) => ({ topic: p.topic, partitions: [...p.partitions] }));
  }

  /**
   * Commits the processed offsets (with `autoCommit`), leaves the group and disconnects. A
   * pending iteration ends. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#settleInFlight();
      this.#signal?.removeEventListener("abort", this.#onAbort);
      try {
        if (this.#autoCommit && !this.#error) {
          await settleWithin(this.commit(), this.#closeTimeoutMs);
        }
      } finally {
        this.#closed = true;
        this.#wake.resolve();
        this.#queue.abortAll();
        // Bounded: a broker that stopped answering must not hang the caller's shutdown.
        await settleWithin(this.#consumer.disconnect(), this.#closeTimeoutMs);
      }
    })();
    return this.#closing;
  }

  /** Same as {@linkcode EventConsumer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
