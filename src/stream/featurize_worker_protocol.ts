/**
 * The messages between the trainer's main thread and its featurize worker
 * (`featurize_worker.ts`; docs/design.md "The trainer as two stages"), and how each side packs
 * and unpacks them. Everything large travels as transferred `ArrayBuffer`s, never cloned:
 *
 * - a batch goes to the worker as its record values copied into ONE buffer — the values of a
 *   fetch's consecutive records as one span of its bytes, the headers and keys between them
 *   included — with columns of where each value starts, their lengths (-1: a tombstone),
 *   partitions and offsets ({@linkcode packRecords}); the worker sends those buffers back with the rows, and the next
 *   batch is packed into them when they are large enough (no allocation per batch);
 * - its rows come back as the worker's {@linkcode RowBatch}'s own columns, whole (their
 *   capacity, not cut to the batch's length: no copy in the worker), which the main thread's
 *   batch adopts as they are (no copy on the main thread: {@linkcode adoptRows}); once the batch
 *   is learnt the main thread sends them back (`recycle`) and the worker's batch writes a later
 *   batch into them ({@linkcode installColumns}), so that in the steady state no row column is
 *   allocated on either side; the session ids only when asked for (predictions, a rows probe),
 *   since nothing else on the learn side reads them; the bad records as their index in the batch
 *   and their error's reason, message and field;
 * - session stores (a restore going in, a checkpoint coming out) as each store's head and its
 *   chunks (`session_store_codec.ts`: {@linkcode encodeStores}, {@linkcode decodeStores}).
 *
 * Replies come in the order of the requests (a worker handles its messages one at a time).
 *
 * @module
 */

import type { EventErrorReason } from "../events/errors.ts";
import type { SessionLayout } from "../learn/session_layout.ts";
import type { SessionStore, SessionStoreOptions } from "../learn/session_store.ts";
import {
  encodeSessionChunks,
  SessionStoreDecoder,
  type SessionStoreHead,
  sessionStoreHead,
} from "../learn/session_store_codec.ts";
import type { FeaturizeState, IndexedRecord } from "./featurize_stage.ts";
import type { SourceRecord } from "./records.ts";
import { ValueSpans } from "./value_spans.ts";
import type { RowBatch } from "./row_batch.ts";
import type { SessionCounts } from "./snapshot.ts";

/** One partition's featurize state as it travels: its next offset and its store's chunks. */
export interface PackedPartition {
  /** The partition. */
  partition: number;
  /** The next offset of the partition the state covers. */
  next: number;
  /** The session store's head (its bounds, layout and counters). */
  head: SessionStoreHead;
  /** The session store's chunks, in order. */
  chunks: Uint8Array[];
}

/** A featurize state as it travels (see {@linkcode encodeStores}). */
export interface PackedStores {
  /** The feature set's id. */
  featureSet: number;
  /** Each partition with state, ascending. */
  partitions: PackedPartition[];
}

/** A batch's records as they travel to the worker (see {@linkcode packRecords}). */
export interface PackedRecords {
  /** Records in the batch. */
  n: number;
  /** The values (in order; those of one fetch with the bytes between them). */
  values: Uint8Array;
  /** Where each value starts in `values`. */
  starts: Int32Array;
  /** Each value's length in bytes, -1 for a tombstone. */
  lengths: Int32Array;
  /** Each record's partition. */
  partition: Int32Array;
  /** Each record's offset. */
  offset: Float64Array;
}

/** A bad record of a batch: its index in the batch and its error's parts. */
export interface PackedDeadLetter {
  /** The record's index in its batch. */
  index: number;
  /** Why the record is not a valid event. */
  reason: EventErrorReason;
  /** The error's message. */
  message: string;
  /** The field at fault, if one is. */
  field: string | null;
}

/** The {@linkcode RowBatch} columns that travel: one value a row, then the dense and sparse ones. */
const ROW_COLUMNS = [
  "kind",
  "action",
  "reason",
  "partition",
  "offset",
  "eventTime",
  "amount",
  "userId",
  "truth",
  "sparseEnd",
  "dense",
  "sparseIndex",
  "sparseValue",
] as const;

/** One of {@linkcode ROW_COLUMNS}. */
type RowColumn = typeof ROW_COLUMNS[number];

/** A {@linkcode RowBatch}'s storage: the columns that travel. */
export type RowColumns = Pick<RowBatch, RowColumn>;

/** A batch's rows as they travel back (see {@linkcode packRows}): its columns, whole. */
export type PackedRows = Pick<RowBatch, RowColumn | "length" | "sparseLength"> & {
  /** The rows' session ids, or `null` when not asked for. */
  sessionId: string[] | null;
};

/** What the worker is started with. */
export interface WorkerInit {
  /** The message. */
  type: "init";
  /** The feature set's id (one of `FEATURE_SETS`). */
  featureSet: number;
  /** Bounds of each partition's session store. */
  sessions?: SessionStoreOptions;
  /** Whether rows come back with their session ids. */
  sessionIds: boolean;
  /** The state to continue from. Default: a fresh start. */
  restore?: PackedStores;
}

/** Messages to the worker. */
export type ToFeaturizeWorker =
  | WorkerInit
  | ({ type: "batch" } & PackedRecords)
  | { type: "state" }
  | { type: "reset" }
  | { type: "recycle"; columns: RowColumns };

/** Messages from the worker, one per request but `init` and `reset`, in their order. */
export type FromFeaturizeWorker =
  | {
    type: "rows";
    rows: PackedRows;
    skipped: number;
    deadLetters: PackedDeadLetter[];
    counts: SessionCounts;
    /** How long the worker took over the batch, ms (unpack, featurize, pack). */
    featurizeMs: number;
    /** The batch's record buffers, back for the next batch to be packed into. */
    records: PackedRecords;
  }
  | { type: "state"; stores: PackedStores }
  | { type: "error"; message: string; stack?: string };

/** The buffers of `message` to transfer (every typed array's, each once). */
export function transferables(values: readonly unknown[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of values) {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  }
  return [...out];
}

/**
 * A record whose value lies in a fetch response's bytes, read without a view (the consumer's
 * `ViewRecord`): packing a batch then makes no view per record, and copies the values of a
 * fetch's consecutive records in one go.
 */
interface FetchedValue {
  /** The fetch response's bytes. */
  readonly fetchBytes: Uint8Array;
  /** Where the value starts in them; -1 for a tombstone. */
  readonly valueStart: number;
  /** The value's length in bytes (0 for a tombstone). */
  readonly valueLength: number;
}

/**
 * The records of a batch copied into one buffer with their columns (see the module doc): into
 * `spare`'s buffers when they are large enough (then its arrays are longer than the batch: `n`
 * and the lengths say what is used), else into new ones with a quarter's headroom. The values of
 * consecutive records of one fetch are copied as one span of the fetch's bytes, the headers and
 * keys between them included; `starts` says where each value is.
 */
export function packRecords(
  records: readonly SourceRecord[],
  spare?: PackedRecords,
): PackedRecords {
  const n = records.length;
  const spans = new ValueSpans();
  for (let i = 0; i < n; i++) {
    const r = records[i] as SourceRecord & Partial<FetchedValue>;
    if (r.fetchBytes !== undefined) spans.add(r.fetchBytes, r.valueStart!, r.valueLength!);
    else spans.own(r.value?.byteLength ?? -1);
  }
  const total = spans.end();
  const fits = spare !== undefined && spare.lengths.length >= n && spare.starts.length >= n &&
    spare.values.length >= total;
  const room = (x: number) => Math.ceil(x * 1.25);
  const lengths = fits ? spare.lengths : new Int32Array(room(n));
  const starts = fits ? spare.starts : new Int32Array(room(n));
  const partition = fits ? spare.partition : new Int32Array(room(n));
  const offset = fits ? spare.offset : new Float64Array(room(n));
  const values = fits ? spare.values : new Uint8Array(room(total));
  const copy = new ValueSpans(values);
  for (let i = 0; i < n; i++) {
    const r = records[i] as SourceRecord & Partial<FetchedValue>;
    partition[i] = r.partition;
    offset[i] = r.offset;
    if (r.fetchBytes !== undefined) {
      const start = r.valueStart!;
      lengths[i] = start < 0 ? -1 : r.valueLength!;
      starts[i] = copy.add(r.fetchBytes, start, r.valueLength!);
      continue;
    }
    const v = r.value;
    lengths[i] = v === null || v === undefined ? -1 : v.byteLength;
    starts[i] = copy.own(lengths[i], v ?? undefined);
  }
  copy.end();
  return { n, values, starts, lengths, partition, offset };
}

/** The buffers of a {@linkcode PackedRecords} to transfer. */
export function recordBuffers(p: PackedRecords): ArrayBuffer[] {
  return transferables([p.values, p.starts, p.lengths, p.partition, p.offset]);
}

/**
 * The records of a packed batch, as views over its one buffer (the worker's stage reads the
 * buffers themselves: `FeaturizeStage.featurizePacked`).
 */
export function unpackRecords(packed: PackedRecords): IndexedRecord[] {
  const out: IndexedRecord[] = new Array(packed.n);
  const { values, starts, lengths, partition, offset } = packed;
  for (let i = 0; i < packed.n; i++) {
    const length = lengths[i], at = starts[i];
    out[i] = {
      topic: "",
      partition: partition[i],
      offset: offset[i],
      key: null,
      value: length < 0 ? null : values.subarray(at, at + length),
      index: i,
    };
  }
  return out;
}

/**
 * `rows`' columns as they are, to transfer (`sessionIds`: with the ids): `rows` is left without
 * storage, and must be given columns again ({@linkcode installColumns}) before it is written to.
 * An empty batch travels as empty copies instead, keeping its storage.
 */
export function packRows(rows: RowBatch, sessionIds: boolean): PackedRows {
  const n = rows.length, s = rows.sparseLength;
  const packed = { length: n, sparseLength: s } as PackedRows;
  const columns = packed as unknown as Record<RowColumn, Uint8Array>;
  for (const c of ROW_COLUMNS) {
    const column = rows[c] as Uint8Array;
    columns[c] = n === 0 ? column.slice(0, 0) : column;
  }
  packed.sessionId = sessionIds ? rows.sessionId.slice(0, n) : null;
  return packed;
}

/** The buffers of a {@linkcode PackedRows} (or bare columns) to transfer. */
export function rowBuffers(p: RowColumns): ArrayBuffer[] {
  return transferables(ROW_COLUMNS.map((c) => p[c]));
}

/** `rows`' columns themselves (to send back once learnt: `rows` must not be read after). */
export function takeColumns(rows: RowBatch): RowColumns {
  const out = {} as RowColumns;
  const columns = out as unknown as Record<RowColumn, Uint8Array>;
  for (const c of ROW_COLUMNS) columns[c] = rows[c] as Uint8Array;
  return out;
}

/**
 * Makes `into` an empty batch over `columns` (a recycled storage of the same schema, each row
 * column of one capacity ≥ 1).
 *
 * @throws {RangeError} if the columns do not fit `into`'s schema
 */
export function installColumns(columns: RowColumns, into: RowBatch): void {
  const capacity = columns.kind.length;
  if (
    capacity < 1 || columns.dense.length !== capacity * into.denseWidth ||
    columns.sparseIndex.length !== columns.sparseValue.length
  ) {
    throw new RangeError(
      `Cannot install row columns of capacity ${capacity} and ${columns.dense.length} dense values into a batch of dense width ${into.denseWidth}.`,
    );
  }
  const target = into as unknown as Record<RowColumn, Uint8Array>;
  for (const c of ROW_COLUMNS) target[c] = columns[c] as Uint8Array;
  into.clear();
}

/**
 * Makes `into` hold the packed rows: it takes their columns over as they are (they are its own
 * from now on, until sent back). Session ids not sent are `""`.
 *
 * @throws {RangeError} if the dense column is shorter than `length × into.denseWidth`
 */
export function adoptRows(p: PackedRows, into: RowBatch): void {
  if (p.dense.length < p.length * into.denseWidth || p.kind.length < p.length) {
    throw new RangeError(
      `Cannot adopt ${p.length} rows of ${p.dense.length} dense values into a batch of dense width ${into.denseWidth}.`,
    );
  }
  const columns = into as unknown as Record<RowColumn, Uint8Array>;
  for (const c of ROW_COLUMNS) columns[c] = p[c] as Uint8Array;
  into.length = p.length;
  into.sparseLength = p.sparseLength;
  if (p.sessionId !== null) {
    into.sessionId = p.sessionId;
  } else {
    const ids = into.sessionId;
    ids.length = p.length;
    ids.fill("");
  }
}

/** The stores of `state` as they travel (each store's head and chunks; the store unchanged). */
export function encodeStores(state: FeaturizeState<SessionStore>): PackedStores {
  return {
    featureSet: state.featureSet,
    partitions: state.partitions.map((p) => ({
      partition: p.partition,
      next: p.next,
      head: sessionStoreHead(p.sessions),
      chunks: [...encodeSessionChunks(p.sessions)],
    })),
  };
}

/** The buffers of a {@linkcode PackedStores} to transfer. */
export function storeBuffers(p: PackedStores): ArrayBuffer[] {
  return transferables(p.partitions.flatMap((x) => x.chunks));
}

/**
 * The featurize state of packed stores, each restored into `layout`.
 *
 * @throws {TypeError} if a store is malformed or of another layout
 */
export function decodeStores(p: PackedStores, layout: SessionLayout): FeaturizeState<SessionStore> {
  return {
    version: 1,
    featureSet: p.featureSet,
    partitions: p.partitions.map((x) => {
      const decoder = new SessionStoreDecoder(x.head, layout);
      for (const chunk of x.chunks) decoder.add(chunk);
      return { partition: x.partition, next: x.next, sessions: decoder.finish() };
    }),
  };
}
