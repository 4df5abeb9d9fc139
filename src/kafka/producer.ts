/**
 * `EventProducer`: writes clickstream events to one Kafka topic. Each event becomes one record:
 * its JSON form (UTF-8, the wire format's field order) as the value and its `session_id` as the
 * key, so a session stays on one partition (kafkajs' default partitioner is murmur2, the same as
 * the Java and Python clients'). Events are sent in batches of many records per request; acks
 * and compression are configurable, and idempotent mode (acks all, one request in flight)
 * makes retries safe. Raw records (any bytes) can be written too, for dead letters and for tests
 * that need bad records. The entry point is {@linkcode EventProducer.connect}.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  CompressionTypes,
  type Message,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from "./kafkajs.ts";
import { encodeEvent } from "../events/schema.ts";
import type { WireEvent } from "../events/wire.ts";
import {
  connectWithin,
  isConnectionError,
  type KafkaClient,
  KafkaUnavailableError,
  settleWithin,
} from "./client.ts";

import { ACKS, type Acks, type Compression, COMPRESSIONS } from "./producer_settings.ts";

export { ACKS, type Acks, type Compression, COMPRESSIONS } from "./producer_settings.ts";

const ACKS_CODE: Record<Acks, number> = { all: -1, leader: 1, none: 0 };
const COMPRESSION_CODE: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/** Anything with the wire form: a `ClickEvent` (via `toJSON()`) or a plain `WireEvent`. */
export type EncodableEvent = WireEvent | { toJSON(): WireEvent };

/** One raw record to write. */
export interface RawRecord {
  /**
   * The key (a string is UTF-8 encoded).
   *
   * @default {null}
   */
  key?: string | Uint8Array | null;
  /** The value bytes (a string is UTF-8 encoded); `null` writes a tombstone. */
  value: string | Uint8Array | null;
  /** Record headers. Without them, none. */
  headers?: Record<string, string | Uint8Array>;
  /** An explicit partition. Without it, the partitioner chooses one from the key. */
  partition?: number;
  /**
   * Record timestamp, epoch ms.
   *
   * @default {Date.now()}
   */
  timestamp?: number;
}

/** What one `send` wrote. */
export interface SendResult {
  /** Records written. */
  records: number;
  /** Value bytes written (before compression). */
  bytes: number;
  /**
   * Where the broker put them: per produce request and partition, the offset of the first
   * record (the rest follow it in send order). Filled by `EventProducer`; optional so that
   * simple fakes need not.
   */
  offsets?: { partition: number; baseOffset: number }[];
}

/** Options of {@linkcode EventProducer.connect}. */
export interface EventProducerOptions {
  /** The topic to write to. Required. */
  topic: string;
  /**
   * Acknowledgement level.
   *
   * @default {"all"}
   */
  acks?: Acks;
  /**
   * Compression.
   *
   * @default {"none"}
   */
  compression?: Compression;
  /**
   * Idempotent producer: the broker drops duplicates from retries. Requires `acks: "all"` and
   * forces one request in flight per producer — concurrent `send()`s are queued — since kafkajs
   * reports out-of-order sequence errors otherwise. On by default with `acks: "all"`, so that a
   * retried send writes no duplicates. (It does not prevent kafkajs issue #1303: acknowledged
   * records missing after a broker of the cluster stopped were seen with both kinds; see
   * docs/design.md.) Its producer id comes from the controller quorum: pass `false` to opt out,
   * e.g. to reach a partition while the quorum is down.
   *
   * @default {true with acks "all", else false}
   */
  idempotent?: boolean;
  /**
   * Requests in flight per broker connection (ignored, 1, when idempotent).
   *
   * @default {5}
   */
  maxInFlightRequests?: number;
  /**
   * Records per produce request; larger sends are split.
   *
   * @default {5000}
   */
  maxBatchRecords?: number;
  /**
   * Value bytes per produce request; larger sends are split.
   *
   * @default {900_000}
   */
  maxBatchBytes?: number;
  /**
   * How long the broker may wait for the acks, ms.
   *
   * @default {30_000}
   */
  ackTimeoutMs?: number;
  /**
   * Give up connecting after this many ms.
   *
   * @default {15_000}
   */
  connectTimeoutMs?: number;
}

/** The small interface the rest of the program writes events through. */
export interface EventSink {
  /** Writes the events (key = session id) and resolves when they are acknowledged. */
  send(events: Iterable<EncodableEvent>): Promise<SendResult>;
}

function toBuffer(value: string | Uint8Array): Buffer {
  // kafkajs checks Buffer.isBuffer(): a plain Uint8Array would be written as "1,2,3".
  if (typeof value === "string") return Buffer.from(value, "utf8");
  return Buffer.isBuffer(value)
    ? value as Buffer
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function wireOf(event: EncodableEvent): WireEvent {
  const candidate = event as { toJSON?: () => WireEvent };
  return typeof candidate.toJSON === "function" ? candidate.toJSON() : event as WireEvent;
}

/** Writes events (or raw records) to one topic; make one with {@linkcode EventProducer.connect}. */
export class EventProducer implements EventSink, AsyncDisposable {
  #producer: Producer;
  #brokers: readonly string[];
  #topic: string;
  #acks: number;
  #compression: CompressionTypes;
  #maxBatchRecords: number;
  #maxBatchBytes: number;
  #ackTimeoutMs: number;
  #idempotent: boolean;
  /** Idempotent mode: the last request, so the next one waits for it (one in flight). */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    producer: Producer,
    brokers: readonly string[],
    options: EventProducerOptions,
  ) {
    this.#producer = producer;
    this.#brokers = brokers;
    this.#topic = options.topic;
    this.#acks = ACKS_CODE[options.acks ?? "all"];
    this.#compression = COMPRESSION_CODE[options.compression ?? "none"];
    this.#maxBatchRecords = options.maxBatchRecords ?? 5000;
    this.#maxBatchBytes = options.maxBatchBytes ?? 900_000;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.#idempotent = options.idempotent ?? false;
  }

  /**
   * Connects a producer for `options.topic`.
   *
   * @example Writing events (needs a broker: `deno task kafka`)
   * ```ts ignore
   * import { KafkaClient } from "./client.ts";
   * import { EventProducer } from "./producer.ts";
   *
   * const client = new KafkaClient({ brokers: "127.0.0.1:9092" });
   * await using producer = await EventProducer.connect(client, {
   *   topic: "clickstream_v2",
   *   acks: "all",
   *   idempotent: true,
   * });
   * const event = {
   *   user_id: 7,
   *   url: "/cart",
   *   action: "view",
   *   session_id: "s1",
   *   timestamp: Math.floor(Date.now() / 1000),
   * } as const;
   * const sent = await producer.send([event, { ...event, action: "purchase", amount: 19.99 }]);
   * console.log(`${sent.records} records, ${sent.bytes} bytes, at`, sent.offsets);
   * ```
   *
   * @param client The connection settings (brokers, TLS, SASL).
   * @param options The topic, and how to acknowledge, compress and batch.
   * @returns A connected producer; close it (or `await using` it) when done.
   * @throws {RangeError} for a bad option (acks, compression, idempotence without acks "all")
   * @throws {KafkaUnavailableError} naming the brokers when they cannot be reached in time
   * @throws {KafkaSecurityError} when the brokers refuse the TLS handshake or the credentials
   */
  static async connect(client: KafkaClient, options: EventProducerOptions): Promise<EventProducer> {
    const acks = options.acks ?? "all";
    if (!(acks in ACKS_CODE)) {
      throw new RangeError(`Cannot create the producer: acks "${acks}" is not one of ${ACKS}.`);
    }
    const compression = options.compression ?? "none";
    if (!(compression in COMPRESSION_CODE)) {
      throw new RangeError(
        `Cannot create the producer: compression "${compression}" is not one of ${COMPRESSIONS}.`,
      );
    }
    if (options.idempotent && acks !== "all") {
      throw new RangeError(
        `Cannot create an idempotent producer with acks "${acks}": idempotence needs acks "all".`,
      );
    }
    const idempotent = options.idempotent ?? acks === "all";
    const producer = client.kafkajs.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent,
      maxInFlightRequests: idempotent ? 1 : (options.maxInFlightRequests ?? 5),
      allowAutoTopicCreation: false,
    });
    await connectWithin(
      client.brokers,
      options.connectTimeoutMs ?? 15_000,
      () => producer.connect(),
      () => producer.disconnect(),
      () => client.diagnoseTls(),
    );
    return new EventProducer(producer, client.brokers, { ...options, idempotent });
  }

  /** The topic this producer writes to. */
  get topic(): string {
    return this.#topic;
  }

  /** Whether this producer is idempotent (by default with `acks: "all"`). */
  get idempotent(): boolean {
    return this.#idempotent;
  }

  /** Encodes the events (JSON, UTF-8; key = `session_id`) and writes them in batches. */
  send(events: Iterable<EncodableEvent>): Promise<SendResult> {
    const records: RawRecord[] = [];
    for (const event of events) {
      const wire = wireOf(event);
      records.push({ key: wire.session_id, value: encodeEvent(wire) });
    }
    return this.sendRaw(records);
  }

  /** Writes raw records as given (any bytes: dead letters, deliberately bad records). */
  async sendRaw(records: Iterable<RawRecord>): Promise<SendResult> {
    if (this.#closed) {
      throw new TypeError(`Cannot send to "${this.#topic}": the producer is closed.`);
    }
    let total = 0;
    let bytes = 0;
    let chunk: Message[] = [];
    let chunkBytes = 0;
    const offsets: { partition: number; baseOffset: number }[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      const messages = chunk;
      chunk = [];
      chunkBytes = 0;
      for (const m of await this.#write(messages)) {
        offsets.push({ partition: m.partition, baseOffset: Number(m.baseOffset) });
      }
    };
    for (const record of records) {
      const value = record.value === null ? null : toBuffer(record.value);
      const size = value?.byteLength ?? 0;
      if (
        chunk.length > 0 &&
        (chunk.length >= this.#maxBatchRecords || chunkBytes + size > this.#maxBatchBytes)
      ) await flush();
      const message: Message = {
        key: record.key == null ? null : toBuffer(record.key),
        value,
      };
      if (record.partition !== undefined) message.partition = record.partition;
      if (record.timestamp !== undefined) message.timestamp = String(record.timestamp);
      if (record.headers) {
        message.headers = Object.fromEntries(
          Object.entries(record.headers).map(([k, v]) => [k, toBuffer(v)]),
        );
      }
      chunk.push(message);
      chunkBytes += size;
      total++;
      bytes += size;
    }
    await flush();
    return { records: total, bytes, offsets };
  }

  #write(messages: Message[]): Promise<RecordMetadata[]> {
    if (!this.#idempotent) return this.#request(messages);
    // kafkajs numbers an idempotent producer's records when send() is called; two send()s in
    // flight at once can reach the broker out of order (OUT_OF_ORDER_SEQUENCE_NUMBER, seen
    // under load). So in this mode one request goes at a time, whoever calls send().
    const run = this.#tail.then(() => this.#request(messages));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #request(messages: Message[]): Promise<RecordMetadata[]> {
    try {
      return await this.#producer.send({
        topic: this.#topic,
        messages,
        acks: this.#acks,
        timeout: this.#ackTimeoutMs,
        compression: this.#compression,
      });
    } catch (error) {
      if (isConnectionError(error)) {
        throw new KafkaUnavailableError(
          this.#brokers,
          `sending ${messages.length} records to "${this.#topic}" failed: ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Disconnects after in-flight sends finish (waiting at most 30 s). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await settleWithin(this.#tail, 30_000);
    await settleWithin(this.#producer.disconnect(), 30_000);
  }

  /** Same as {@linkcode EventProducer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
