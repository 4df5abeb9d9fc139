/**
 * The messages between the trainer's main thread and its featurize worker
 * (`featurize_worker.ts`; docs/design.md "The trainer as two stages"), and how each side packs
 * and unpacks them. Everything large travels as transferred `ArrayBuffer`s, never cloned:
 *
 * - a batch goes to the worker as its record values copied one after the other into ONE buffer,
 *   with columns of their lengths (-1: a tombstone), partitions and offsets
 *   ({@linkcode packRecords});
 * - its rows come back as the {@linkcode RowBatch}'s own columns, cut to the batch's length,
 *   which the main thread's batch adopts as they are (no copy on the main thread:
 *   {@linkcode adoptRows}); the session ids only when asked for (predictions, a rows probe),
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
import type { FeaturizeState } from "./featurize_stage.ts";
import type { SourceRecord } from "./records.ts";
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
  /** The values, one after the other. */
  values: Uint8Array;
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

/** A batch's rows as they travel back (see {@linkcode packRows}): its columns cut to length. */
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
  | { type: "reset" };

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

/** The records of a batch copied into one buffer with their columns (see the module doc). */
export function packRecords(records: readonly SourceRecord[]): PackedRecords {
  const n = records.length;
  const lengths = new Int32Array(n);
  const partition = new Int32Array(n);
  const offset = new Float64Array(n);
  const views: (Uint8Array | null)[] = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const v = r.value;
    views[i] = v;
    partition[i] = r.partition;
    offset[i] = r.offset;
    if (v === null || v === undefined) {
      lengths[i] = -1;
    } else {
      lengths[i] = v.byteLength;
      total += v.byteLength;
    }
  }
  const values = new Uint8Array(total);
  for (let i = 0, at = 0; i < n; i++) {
    const v = views[i];
    if (v === null || v === undefined) continue;
    values.set(v, at);
    at += v.byteLength;
  }
  return { n, values, lengths, partition, offset };
}

/** A record as the worker's featurize stage reads it, with its index in the batch. */
export interface IndexedRecord extends SourceRecord {
  /** The record's index in its batch (what a dead letter is mapped back by). */
  index: number;
}

/** The records of a packed batch, as views over its one buffer. */
export function unpackRecords(packed: PackedRecords): IndexedRecord[] {
  const out: IndexedRecord[] = new Array(packed.n);
  const { values, lengths, partition, offset } = packed;
  for (let i = 0, at = 0; i < packed.n; i++) {
    const length = lengths[i];
    out[i] = {
      topic: "",
      partition: partition[i],
      offset: offset[i],
      key: null,
      value: length < 0 ? null : values.subarray(at, at + length),
      index: i,
    };
    if (length > 0) at += length;
  }
  return out;
}

/** Copies of `rows`' columns, cut to its length, to transfer (`sessionIds`: with the ids). */
export function packRows(rows: RowBatch, sessionIds: boolean): PackedRows {
  const n = rows.length, s = rows.sparseLength;
  const packed = { length: n, sparseLength: s } as PackedRows;
  const columns = packed as unknown as Record<RowColumn, Uint8Array>;
  for (const c of ROW_COLUMNS) {
    const end = c === "dense"
      ? n * rows.denseWidth
      : c === "sparseIndex" || c === "sparseValue"
      ? s
      : n;
    columns[c] = (rows[c] as Uint8Array).slice(0, end);
  }
  packed.sessionId = sessionIds ? rows.sessionId.slice(0, n) : null;
  return packed;
}

/** The buffers of a {@linkcode PackedRows} to transfer. */
export function rowBuffers(p: PackedRows): ArrayBuffer[] {
  return transferables(ROW_COLUMNS.map((c) => p[c]));
}

/**
 * Makes `into` hold the packed rows: it takes their columns over as they are (they are its own
 * from now on; it grows from them if written to). Session ids not sent are `""`.
 *
 * @throws {RangeError} if the dense column is not `length × into.denseWidth` long
 */
export function adoptRows(p: PackedRows, into: RowBatch): void {
  if (p.dense.length !== p.length * into.denseWidth) {
    throw new RangeError(
      `Cannot adopt ${p.length} rows of ${p.dense.length} dense values into a batch of dense width ${into.denseWidth}.`,
    );
  }
  // A batch needs capacity ≥ 1 to grow by doubling; an empty batch keeps its own columns.
  if (p.length > 0) {
    const columns = into as unknown as Record<RowColumn, Uint8Array>;
    for (const c of ROW_COLUMNS) columns[c] = p[c] as Uint8Array;
  }
  into.length = p.length;
  into.sparseLength = p.sparseLength;
  into.sessionId = p.sessionId ?? new Array<string>(p.length).fill("");
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
