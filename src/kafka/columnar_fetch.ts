/**
 * Fetched records as columns over the fetch response instead of one kafkajs message object each,
 * installed by the kafkajs gate (`src/kafka/kafkajs.ts`). For every record kafkajs 2.2.4's
 * consumer makes a `Decoder`, two or three `Buffer` slices, four `Long`s and two strings, the
 * message object and its headers object; then its `Batch` filters the messages twice, comparing
 * `Long`s. On this machine that was a fifth of the trainer's busy time (kafkajs' fetch decoding
 * 13%, turning messages into records 8%) and much of its garbage collection.
 *
 * Two modules kafkajs takes when it loads are replaced:
 *
 * - `decodeMessages` (`src/protocol/requests/fetch/v4/decodeMessages.js`, which every fetch
 *   response from v4 on uses) decodes a partition's record set into a {@linkcode RecordColumns}
 *   (`record_columns.ts`) when it can, and returns a {@linkcode lazyMessages} array over it: an
 *   array of the same length whose elements are kafkajs' message objects, made only when read.
 *   A record set `decodeRecordColumns` does not take (compressed, control or transactional
 *   batches, legacy message sets, anything unusual) goes to kafkajs' own `decodeMessages`,
 *   unchanged. Over a pooled response (`response_pool.ts`), each set decoded into columns is
 *   noted on its lease (`notePart`), and one kafkajs decodes keeps it from the pool (`taint`).
 * - `Batch` (`src/consumer/batch.js`) makes, for such an array, a kafkajs `Batch` (its
 *   prototype, so its methods) whose message lists are lazy arrays too: no filter by `Long`s
 *   (a columnar record set has no aborted or control records, and its offsets are numbers).
 *   kafkajs' runner reads the last message of a batch; that is the one message made. Any other
 *   batch is kafkajs' own.
 *
 * `EventConsumer` takes a batch's records through {@linkcode fetchedRecords}, one at a time: from
 * its columns (`columnRecord`: one two-field object, its views made when read), or kafkajs'
 * messages. `tests/kafka/columnar_fetch_test.ts` holds both replacements to an
 * unpatched copy of kafkajs on random record sets; {@linkcode columnarFetchCalls} counts what
 * went through them.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { type ConsumedRecord, toRecord } from "./consumed_record.ts";
import type { KafkaMessage } from "./kafkajs.ts";
import type { FetchedRecords } from "./pending_batch.ts";
import {
  columnRecord,
  type ColumnsRun,
  decodeRecordColumns,
  kafkaJsMessage,
  type RecordColumns,
} from "./record_columns.ts";
import { notePart, taint } from "./response_pool.ts";

export { RecordColumns } from "./record_columns.ts";

/** kafkajs' protocol `Decoder` (the parts used here). */
interface DecoderInstance {
  buffer: Buffer;
  offset: number;
}

type DecodeMessages = (decoder: DecoderInstance) => Promise<unknown[]>;
type BatchClass = new (topic: string, fetchedOffset: string, partitionData: PartitionData) => {
  [key: string]: unknown;
};

/** What kafkajs' `Batch` is made of: one partition of a fetch response. */
interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: unknown[];
  messages: unknown[];
}

/** The CommonJS cache entry of a module (`require.cache[path]`). */
export interface ModuleEntry {
  /** What `require()` of it returns. */
  exports: unknown;
}

/** How many times each replacement has run in this process (see {@linkcode columnarFetchCalls}). */
export interface ColumnarFetchCalls {
  /** `decodeMessages`: record sets decoded into columns (not those handed to kafkajs' own). */
  decodeMessages: number;
  /** `Batch`: batches made over columns (not kafkajs' own). */
  Batch: number;
}

const calls: ColumnarFetchCalls = { decodeMessages: 0, Batch: 0 };

/** A copy of the call counters. */
export function columnarFetchCalls(): ColumnarFetchCalls {
  return { ...calls };
}

/** The columns behind a lazy array, and where the array starts in them. */
interface ColumnsView {
  columns: RecordColumns;
  from: number;
}

const views = new WeakMap<object, ColumnsView>();

/** A canonical array index below `length`, or -1. */
function indexOf(prop: string | symbol, length: number): number {
  if (typeof prop !== "string" || prop.length === 0) return -1;
  const c = prop.charCodeAt(0);
  if (c < 48 || c > 57) return -1;
  const i = Number(prop);
  return Number.isInteger(i) && i < length && String(i) === prop ? i : -1;
}

/**
 * The records `from`.. of `columns` as an array of kafkajs message objects, each made when it is
 * first read (`kafkaJsMessage`, kept on the columns, so every view shares them). Indexing,
 * `length`, iteration and the array methods behave as on the array kafkajs would have made.
 */
export function lazyMessages(columns: RecordColumns, from: number): unknown[] {
  const length = columns.count - from;
  const target: unknown[] = [];
  target.length = length;
  const fill = (i: number) => {
    if (!(i in target)) target[i] = kafkaJsMessage(columns, from + i);
  };
  const array = new Proxy(target, {
    get(t, prop, receiver) {
      const i = indexOf(prop, length);
      if (i >= 0) fill(i);
      return Reflect.get(t, prop, receiver);
    },
    has(t, prop) {
      return indexOf(prop, length) >= 0 || Reflect.has(t, prop);
    },
    getOwnPropertyDescriptor(t, prop) {
      const i = indexOf(prop, length);
      if (i >= 0) fill(i);
      return Reflect.getOwnPropertyDescriptor(t, prop);
    },
    ownKeys(t) {
      for (let i = 0; i < length; i++) fill(i);
      return Reflect.ownKeys(t);
    },
  });
  views.set(array, { columns, from });
  return array;
}

/**
 * The columns of a kafkajs `Batch` of the consumer, and the index of its first record (the
 * first at or after the fetched offset); `undefined` for a batch kafkajs decoded itself.
 */
export function fetchedColumns(batch: unknown): ColumnsView | undefined {
  const messages = (batch as { messages?: unknown }).messages;
  return typeof messages === "object" && messages !== null ? views.get(messages) : undefined;
}

/**
 * The records of a kafkajs `Batch` of `topic`/`partition` at or after `position`, as the
 * consumer hands them out, each made when it is asked for (`at(i)`): from the batch's columns
 * when it has them (a {@linkcode ViewRecord} each, `columnRecord`), else `toRecord()` of each
 * kafkajs message (all made at once). Nothing per record is made before it is taken: the
 * records of a fetch then are not all alive, and copied by the garbage collector, while the
 * first ones wait in a micro-batch.
 */
export function fetchedRecords(
  batch: { topic: string; partition: number; messages: KafkaMessage[] },
  position: number,
): FetchedRecords {
  const { topic, partition } = batch;
  const fetched = fetchedColumns(batch);
  if (fetched === undefined) {
    const records: ConsumedRecord[] = [];
    for (const m of batch.messages) {
      const record = toRecord(topic, partition, m);
      if (record.offset >= position) records.push(record);
    }
    return records;
  }
  const { columns, from } = fetched;
  const offsets = columns.offsets;
  let n = 0;
  for (let i = from; i < columns.count; i++) if (offsets[i] >= position) n++;
  const index = new Int32Array(n);
  for (let i = from, k = 0; i < columns.count; i++) if (offsets[i] >= position) index[k++] = i;
  return new ColumnRecords({ topic, partition, columns }, index);
}

/** The records of a fetched run at the given indices of its columns, made when asked for. */
class ColumnRecords implements FetchedRecords {
  readonly length: number;
  #run: ColumnsRun;
  #index: Int32Array;

  constructor(run: ColumnsRun, index: Int32Array) {
    this.#run = run;
    this.#index = index;
    this.length = index.length;
  }

  at(i: number): ConsumedRecord | undefined {
    return i >= 0 && i < this.length ? columnRecord(this.#run, this.#index[i]) : undefined;
  }
}

/** {@linkcode fetchedRecords} as an array: every record made at once (for tests and tools). */
export function batchRecords(
  batch: { topic: string; partition: number; messages: KafkaMessage[] },
  position: number,
): ConsumedRecord[] {
  const records = fetchedRecords(batch, position);
  return Array.from({ length: records.length }, (_, i) => records.at(i)!);
}

let originalDecodeMessages: DecodeMessages | undefined;
let OriginalBatch: BatchClass | undefined;

/** The replacement of kafkajs' fetch `decodeMessages` (see the module documentation). */
export function columnarDecodeMessages(decoder: DecoderInstance): Promise<unknown[]> {
  const buffer = decoder.buffer;
  const start = decoder.offset;
  if (buffer.length - start >= 4) {
    const size = buffer.readInt32BE(start);
    // kafkajs reads the magic byte at 16 of the record set, and only then the batches.
    if (size > 16 && buffer.length - (start + 4) >= size) {
      const bytes = buffer.subarray(start + 4, start + 4 + size);
      if (bytes[16] === 2) {
        const columns = decodeRecordColumns(bytes);
        if (columns !== undefined) {
          notePart(columns);
          calls.decodeMessages++;
          decoder.offset = start + 4 + size;
          return Promise.resolve(lazyMessages(columns, 0));
        }
      }
    }
    // kafkajs' messages of a pooled response are views nobody tracks: it is never released.
    if (size > 0) taint(buffer);
  }
  return originalDecodeMessages!(decoder);
}

/** The replacement of kafkajs' consumer `Batch` (see the module documentation). */
export function ColumnarBatch(
  topic: string,
  fetchedOffset: string,
  partitionData: PartitionData,
): unknown {
  const view = views.get(partitionData.messages);
  const fetched = Number(fetchedOffset);
  if (
    view === undefined || view.from !== 0 || !Number.isSafeInteger(fetched) ||
    (partitionData.abortedTransactions?.length ?? 0) > 0
  ) {
    return new OriginalBatch!(topic, fetchedOffset, partitionData);
  }
  const { columns } = view;
  const offsets = columns.offsets;
  let from = 0;
  while (from < columns.count && offsets[from] < fetched) from++;
  // kafkajs keeps every message at or after the fetched offset: here they must be the last ones
  // (they are, offsets grow in a partition; a record set where they do not is kafkajs' to filter).
  for (let i = from + 1; i < columns.count; i++) {
    if (offsets[i] < fetched) return new OriginalBatch!(topic, fetchedOffset, partitionData);
  }
  calls.Batch++;
  // kafkajs' Batch, its fields in its order, without running its constructor's filters.
  const batch = Object.create((OriginalBatch as unknown as { prototype: object }).prototype);
  batch.fetchedOffset = fetchedOffset;
  batch.topic = topic;
  batch.partition = partitionData.partition;
  batch.highWatermark = partitionData.highWatermark;
  batch.rawMessages = partitionData.messages;
  batch.messagesWithinOffset = from === 0 ? partitionData.messages : lazyMessages(columns, from);
  batch.messages = batch.messagesWithinOffset;
  return batch;
}

/** What {@linkcode installColumnarFetch} is given: the CommonJS cache entries it swaps. */
export interface ColumnarFetchInternals {
  /** `src/protocol/requests/fetch/v4/decodeMessages.js`. */
  decodeMessages: ModuleEntry;
  /** `src/consumer/batch.js`. */
  batch: ModuleEntry;
}

/**
 * Makes kafkajs' fetch responses and consumer use {@linkcode columnarDecodeMessages} and
 * {@linkcode ColumnarBatch}, keeping the originals. Must run before kafkajs' fetch responses
 * and its `consumerGroup.js` are loaded (they take the modules when they load). Idempotent.
 */
export function installColumnarFetch(internals: ColumnarFetchInternals): void {
  if (internals.decodeMessages.exports === columnarDecodeMessages) return;
  for (
    const [name, value] of [
      ["decodeMessages", internals.decodeMessages.exports],
      ["Batch", internals.batch.exports],
    ] as const
  ) {
    if (typeof value !== "function") {
      throw new TypeError(
        `Cannot install the columnar fetch: kafkajs' ${name} is a ${typeof value}, not a function`,
      );
    }
  }
  originalDecodeMessages = internals.decodeMessages.exports as DecodeMessages;
  OriginalBatch = internals.batch.exports as BatchClass;
  internals.decodeMessages.exports = columnarDecodeMessages;
  internals.batch.exports = ColumnarBatch;
}

/** Whether {@linkcode installColumnarFetch} has run (the gate installs it when it loads). */
export function columnarFetchInstalled(): boolean {
  return originalDecodeMessages !== undefined;
}
