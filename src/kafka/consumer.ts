/**
 * `EventConsumer`: a Kafka consumer-group member as a pull `AsyncIterable` of records, so callers
 * write `for await (const record of consumer)`. kafkajs pushes fetched batches into an
 * `eachBatch` callback; here that callback hands its batch to the iterator and waits until the
 * iterator has taken every record (bounded buffering: at most one fetched batch is held, and
 * kafkajs fetches nothing more while it waits). While waiting it keeps heartbeating, so a slow
 * loop body does not lose the group membership, and it notices rebalances and seeks.
 *
 * Offsets: a record counts as processed when the iterator is asked for the next one (or the
 * loop ends with `break`/`return`, or `close()` is called). With `autoCommit` (the default) the
 * processed offsets are committed after every batch, before a rebalance gives the partitions
 * away, and on `close()`, so a restarted consumer in the same group continues where it stopped
 * and receives nothing twice. Without it, `commit()` commits explicitly (what the trainer does
 * after its checkpoint). `seek()`, `pause()`/`resume()` and `onAssignment` serve a trainer that
 * keeps its own offsets.
 *
 * ```ts
 * await using consumer = await EventConsumer.connect(client, { topic, groupId: "g" });
 * for await (const record of consumer) console.log(record.offset, record.value);
 * ```
 *
 * @module
 */

import type { EventValidationError } from "../events/errors.ts";
import type { ClickEvent } from "../events/event.ts";
import { EventFactory } from "../events/factory.ts";
import type { ReadyIterator } from "../util/ready_iterator.ts";
import { connectWithin, type KafkaClient, settleWithin } from "./client.ts";
import type { Consumer, EachBatchPayload, KafkaMessage } from "./kafkajs.ts";

/** One consumed record. Offsets are numbers (exact up to 2^53). */
export interface ConsumedRecord {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Offset within the partition. */
  offset: number;
  /** Key bytes, or `null`. */
  key: Uint8Array | null;
  /** Value bytes, or `null` for a tombstone. */
  value: Uint8Array | null;
  /** Headers (the first value of a repeated header). */
  headers: Record<string, Uint8Array>;
  /** Record timestamp, epoch ms. */
  timestamp: number;
}

/** A consumed record decoded as a typed event, or with the reason it is not one. */
export type TypedRecord =
  | { record: ConsumedRecord; ok: true; event: ClickEvent }
  | { record: ConsumedRecord; ok: false; error: EventValidationError };

/** A partition and the next offset to read from it. */
export interface PartitionOffset {
  /** Topic. Default: the consumer's (first) topic. */
  topic?: string;
  /** Partition. */
  partition: number;
  /** The next offset to read (one past the last processed record). */
  offset: number;
}

/** A topic's partitions. */
export interface TopicPartitions {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: number[];
}

/** Options of {@linkcode EventConsumer.connect}. */
export interface EventConsumerOptions {
  /** The topic (or topics) to read. Required. */
  topic: string | readonly string[];
  /** The consumer group. Required. */
  groupId: string;
  /**
   * Where to start on partitions the group has no committed offset for: `"earliest"` (the
   * oldest record) or `"latest"` (only new records). Default: `"latest"`.
   */
  startingOffsets?: "earliest" | "latest";
  /**
   * Commit processed offsets after each batch, before partitions are given away in a
   * rebalance, and on close. Default: `true`. Turn off to commit with `commit()` yourself.
   */
  autoCommit?: boolean;
  /** Group session timeout, ms (the broker allows 6000+ by default; tests' broker 1000+). Default: `10_000`. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval, ms. Default: `1000`. */
  heartbeatIntervalMs?: number;
  /** How long the group waits for members to rejoin in a rebalance, ms. Default: `30_000`. */
  rebalanceTimeoutMs?: number;
  /** How long a fetch waits for data, ms (also bounds how long `close()` waits). Default: `500`. */
  maxWaitMs?: number;
  /** Most bytes fetched per partition per request. Default: `1_048_576`. */
  maxBytesPerPartition?: number;
  /** Give up connecting and joining after this many ms. Default: `30_000`. */
  connectTimeoutMs?: number;
  /** `close()` waits at most this long for the last commit, and again for leaving the group. Default: `15_000`. */
  closeTimeoutMs?: number;
  /**
   * Called after every group (re)join with this member's partitions and its member id (which the
   * coordinator knows it by), before records of them are delivered: the place to `seek()` to
   * offsets kept elsewhere. Default: none.
   */
  onAssignment?: (assignment: TopicPartitions[], memberId: string) => void | Promise<void>;
  /**
   * Called when kafkajs restarts the consumer after a failure it retries (the broker went away,
   * say), with the member id the consumer had: the restarted consumer joins as a new member, and
   * the group's coordinator may keep the old one until its session expires, holding up the join.
   * The place to remove it (see `src/kafka/evict_member.ts`). Default: none.
   */
  onRestart?: (previousMemberId: string) => void;
  /**
   * Called after every fetch round (kafkajs' `consumer.fetch` event), with records or without,
   * paused partitions included: a probe to wait for "the consumer has looked again" on, instead
   * of sleeping. Default: none.
   */
  onFetch?: () => void;
  /** Aborting closes the consumer (the iteration then ends). Default: none. */
  signal?: AbortSignal;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

interface PendingBatch {
  topic: string;
  partition: number;
  /** `partKey(topic, partition)`. */
  key: string;
  records: ConsumedRecord[];
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
}

const partKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** A plain `Uint8Array` view of kafkajs' Node `Buffer` (no copy), so no Node type leaks out. */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function toRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  const headers: Record<string, Uint8Array> = {};
  const raws = m.headers;
  for (const name in raws) {
    const raw = raws[name];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    headers[name] = typeof first === "string" ? new TextEncoder().encode(first) : view(first);
  }
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ? view(m.key) : null,
    value: m.value ? view(m.value) : null,
    headers,
    timestamp: Number(m.timestamp),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

  #batch: PendingBatch | undefined;
  #wake: Deferred = deferred();
  /** The record yielded last and not yet counted as processed. */
  #inFlight: ConsumedRecord | undefined;
  /** Next offset per partition after the records processed so far. */
  #processed = new Map<string, PartitionOffset & { topic: string }>();
  /** What was last committed per partition. */
  #committed = new Map<string, number>();
  #assigned = new Set<string>();
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
   */
  static async connect(client: KafkaClient, options: EventConsumerOptions): Promise<EventConsumer> {
    const topics = typeof options.topic === "string" ? [options.topic] : [...options.topic];
    if (topics.length === 0) throw new TypeError("Cannot consume: no topic given.");
    if (!options.groupId) throw new TypeError("Cannot consume: no consumer group given.");
    const starting = options.startingOffsets ?? "latest";
    if (starting !== "earliest" && starting !== "latest") {
      throw new RangeError(
        `Cannot consume: startingOffsets must be "earliest" or "latest", got "${starting}".`,
      );
    }
    options.signal?.throwIfAborted();
    const kafkajsConsumer = client.kafkajs.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 30_000,
      maxWaitTimeInMs: options.maxWaitMs ?? 500,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
    });
    const consumer = new EventConsumer(kafkajsConsumer, topics, options);
    await connectWithin(
      client.brokers,
      options.connectTimeoutMs ?? 30_000,
      async () => {
        await kafkajsConsumer.connect();
        await kafkajsConsumer.subscribe({ topics, fromBeginning: starting === "earliest" });
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
      this.#assigned = new Set(
        assignment.flatMap(({ topic, partitions }) => partitions.map((p) => partKey(topic, p))),
      );
      // Forget partitions given away: their offsets are now another member's to commit.
      for (const key of [...this.#processed.keys()]) {
        if (!this.#assigned.has(key)) this.#processed.delete(key);
      }
      for (const key of [...this.#committed.keys()]) {
        if (!this.#assigned.has(key)) this.#committed.delete(key);
      }
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
    const onFetch = this.#onFetch;
    if (onFetch) c.on(c.events.FETCH, () => onFetch());
    c.on(c.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.#fail(event.payload.error);
        failed(event.payload.error);
        return;
      }
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

  /** The bridge: hand the batch to the iterator and wait (heartbeating) until it is taken. */
  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (this.#assignmentHook) {
      await this.#assignmentHook;
      this.#assignmentHook = undefined;
    }
    if (this.#closed || !isRunning() || isStale()) return;
    const key = partKey(batch.topic, batch.partition);
    const position = this.#processed.get(key)?.offset ?? -1;
    const records: ConsumedRecord[] = [];
    for (const m of batch.messages) {
      const record = toRecord(batch.topic, batch.partition, m);
      // Never deliver twice what this member already processed (e.g. a refetch after a
      // rebalance that kept the partition but whose commit failed).
      if (record.offset >= position) records.push(record);
    }
    if (records.length === 0) {
      if (batch.messages.length > 0) resolveOffset(batch.lastOffset());
      return;
    }
    const pending: PendingBatch = {
      topic: batch.topic,
      partition: batch.partition,
      key,
      records,
      next: 0,
      aborted: false,
      finished: deferred(),
      progress: undefined,
    };
    this.#batch = pending;
    this.#wake.resolve();

    let rebalance: unknown;
    while (!pending.aborted) {
      const done = await Promise.race([
        pending.finished.promise.then(() => true),
        sleep(this.#tickMs).then(() => false),
      ]);
      if (done) break;
      if (this.#closed || !isRunning() || isStale()) {
        pending.aborted = true;
        break;
      }
      try {
        await heartbeat();
      } catch (error) {
        rebalance = error;
        // Give the record being processed a moment to finish, so its offset can be committed
        // before the partition may go to another member.
        if (
          this.#inFlight?.partition === pending.partition && this.#inFlight.topic === pending.topic
        ) {
          pending.progress = deferred();
          await Promise.race([pending.progress.promise, sleep(5000)]);
        }
        pending.aborted = true;
      }
    }
    pending.aborted = true;
    if (this.#batch === pending) this.#batch = undefined;
    pending.finished.resolve();

    const processed = this.#processed.get(key);
    if (processed && processed.offset > position) resolveOffset(String(processed.offset - 1));
    if (this.#autoCommit && !this.#closed) {
      try {
        await this.#commitProcessed((offsets) => payload.commitOffsetsIfNecessary(offsets));
      } catch (error) {
        rebalance ??= error;
      }
    }
    if (rebalance) throw rebalance; // kafkajs rejoins the group
  }

  async #commitProcessed(
    commit: (
      offsets: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] },
    ) => Promise<void>,
  ): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    const done: [string, number][] = [];
    for (const [key, p] of this.#processed) {
      if (!this.#assigned.has(key) || this.#committed.get(key) === p.offset) continue;
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, list = []);
      list.push({ partition: p.partition, offset: String(p.offset) });
      done.push([key, p.offset]);
    }
    if (done.length === 0) return;
    await commit({
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    for (const [key, offset] of done) this.#committed.set(key, offset);
  }

  /** Counts the last yielded record as processed. */
  #settleInFlight(): void {
    const record = this.#inFlight;
    if (!record) return;
    this.#inFlight = undefined;
    const batch = this.#batch;
    // Records come a batch (one partition) at a time: reuse its key.
    const key = batch !== undefined && batch.partition === record.partition &&
        batch.topic === record.topic
      ? batch.key
      : partKey(record.topic, record.partition);
    if (!this.#assigned.has(key)) return;
    const processed = this.#processed.get(key);
    if (processed === undefined) {
      this.#processed.set(key, {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1,
      });
    } else if (record.offset + 1 > processed.offset) {
      processed.offset = record.offset + 1; // processedOffsets() hands out copies
    }
  }

  async #next(): Promise<IteratorResult<ConsumedRecord>> {
    for (;;) {
      const ready = this.#ready();
      if (ready) return ready;
      if (this.#error) throw this.#error;
      this.#wake = deferred();
      await this.#wake.promise;
    }
  }

  /**
   * The next record if one is there without waiting (counting the last one as processed), the
   * end when closed, `undefined` otherwise. Shared by `next()` and `nextReady()`.
   */
  #ready(): IteratorResult<ConsumedRecord> | undefined {
    this.#settleInFlight();
    if (this.#error) return undefined;
    if (this.#closed) return { done: true, value: undefined };
    const batch = this.#batch;
    if (!batch) return undefined;
    const progress = batch.progress;
    if (progress) {
      batch.progress = undefined;
      progress.resolve();
    }
    if (!batch.aborted && batch.next < batch.records.length) {
      const record = batch.records[batch.next++];
      this.#inFlight = record;
      return { done: false, value: record };
    }
    // Every record of the batch was taken and processed: let kafkajs go on.
    batch.finished.resolve();
    if (this.#batch === batch) this.#batch = undefined;
    return undefined;
  }

  /**
   * Iterates the records; `break` counts the last record as processed. Besides `next()`, the
   * iterator has `nextReady()` ({@linkcode ReadyIterator}): a record already fetched, without a
   * promise per record, for a reader (the micro-batcher) that takes thousands in a row.
   */
  [Symbol.asyncIterator](): ReadyIterator<ConsumedRecord> {
    return {
      next: () => this.#next(),
      nextReady: () => this.#ready(),
      return: () => {
        this.#settleInFlight();
        // A loop that stopped at the end of a batch lets kafkajs go on (and commit) at once.
        const batch = this.#batch;
        if (batch && batch.next >= batch.records.length) batch.finished.resolve();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /**
   * Iterates the records decoded as typed events (`EventFactory.fromBytes`); a bad record comes
   * as `{ ok: false, error }` (an `EventValidationError` naming the field and the reason) and the
   * stream goes on.
   */
  async *events(): AsyncGenerator<TypedRecord, void, undefined> {
    for await (const record of this) {
      try {
        const event = EventFactory.fromBytes(record.value ?? new Uint8Array());
        yield { record, ok: true, event };
      } catch (error) {
        yield { record, ok: false, error: error as EventValidationError };
      }
    }
  }

  /** The partitions assigned to this member now. */
  assignment(): TopicPartitions[] {
    const map = new Map<string, number[]>();
    for (const key of this.#assigned) {
      const [topic, partition] = key.split("\u0000");
      if (!map.has(topic)) map.set(topic, []);
      map.get(topic)!.push(Number(partition));
    }
    return [...map].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.sort((a, b) => a - b),
    }));
  }

  /** The next offset per partition after what has been processed (what `commit()` would commit). */
  processedOffsets(): PartitionOffset[] {
    return [...this.#processed.values()].map((p) => ({ ...p }));
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
      for (const o of list) this.#committed.set(partKey(o.topic, o.partition), Number(o.offset));
      return;
    }
    await this.#commitProcessed(async ({ topics }) => {
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
    const key = partKey(topic, partition);
    this.#processed.delete(key);
    this.#committed.delete(key);
    if (this.#inFlight?.topic === topic && this.#inFlight.partition === partition) {
      this.#inFlight = undefined;
    }
    const batch = this.#batch;
    if (batch && batch.topic === topic && batch.partition === partition) batch.aborted = true;
    this.#consumer.seek({ topic, partition, offset: String(offset) });
  }

  /**
   * Stops fetching the given partitions (default: all of every topic). Records already fetched
   * (at most one batch) are still delivered; heartbeats go on.
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
        if (this.#batch) {
          this.#batch.aborted = true;
          this.#batch.finished.resolve();
        }
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
