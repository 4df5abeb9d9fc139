/**
 * Session snapshots: the featurize state of one input partition (its next offset and session
 * store, `featurize_stage.ts`) saved to the compacted topic `<topic>.sessions`, so that the
 * partition's next owner goes on from it instead of replaying the partition from its beginning
 * (docs/design.md "Scaling out", "Session snapshots").
 *
 * A snapshot's body is binary, in the session store's section codec of the checkpoint
 * (`session_store_codec.ts`): frames of a u32 length and that many bytes, first a small JSON
 * one (the feature set's id, the partition, its next offset, the store's head), then the store's
 * session chunks. The body is cut into chunks below the broker's `max.message.bytes`; every
 * chunk carries a header naming the format and version, the input partition, the source offset
 * the snapshot covers (the partition's next offset), its index and the number of chunks, and the
 * SHA-256 and length of the whole body. A chunk's key is `<partition>:<index>`, so compaction
 * keeps the newest chunk of each slot. A snapshot of an older version (1: the body as JSON) is
 * passed over, as if absent: the owner replays the partition, which is always correct.
 *
 * {@linkcode SnapshotAssembler} reads chunks back in log order and gives the newest **complete**
 * snapshot of a partition whose checksum holds: a torn set (a chunk missing, one of another
 * snapshot in its slot, a checksum that fails) is passed over for an older one, and with none
 * the owner replays from the partition's start. A snapshot is never wrong, only old: it covers
 * exactly the rows before its offset, and was written only after those rows were acknowledged.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { FeaturizeState, PartitionFeatureState } from "./featurize_stage.ts";
import type { SessionStore } from "../learn/session_store.ts";
import { decodeSnapshotBody, encodeSnapshotBody } from "./snapshot_body.ts";

/** The format name in every snapshot chunk's header. */
export const SNAPSHOT_FORMAT = "clickstream-session-snapshot";
/**
 * The version of the snapshot format this program writes and reads (2: the binary body; 1 had
 * the body as JSON).
 */
export const SNAPSHOT_VERSION = 2;
/**
 * Bytes of one chunk's value at most by default: below a broker's default
 * `max.message.bytes` (1 MiB) with room for the headers and batch overhead.
 */
export const DEFAULT_CHUNK_BYTES = 900_000;

/** The snapshot topic of input topic `topic`: `<topic>.sessions`. */
export function sessionsTopic(topic: string): string {
  return `${topic}.sessions`;
}

/**
 * The topic configs `<topic>.sessions` is created with: compacted, in segments small and short
 * enough (64 MiB, 10 min) that compaction — which never touches the active segment — keeps up
 * with snapshots written every few seconds, so a new featurizer reads little more than the newest
 * snapshot of each partition.
 */
export const SESSIONS_TOPIC_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  "cleanup.policy": "compact",
  "segment.bytes": String(64 * 1024 * 1024),
  "segment.ms": String(10 * 60 * 1000),
  "min.cleanable.dirty.ratio": "0.1",
});

/** The header of one snapshot chunk. */
export interface SnapshotHeader {
  /** The format's name: {@linkcode SNAPSHOT_FORMAT}. */
  format: string;
  /** The format's version: {@linkcode SNAPSHOT_VERSION}. */
  version: number;
  /** The input partition. */
  partition: number;
  /** The source offset the snapshot covers: the partition's next offset. */
  offset: number;
  /** This chunk's index, from 0. */
  chunk: number;
  /** How many chunks the snapshot has. */
  chunks: number;
  /** Hex SHA-256 of the whole body. */
  sha256: string;
  /** Bytes of the whole body. */
  bytes: number;
}

/** One chunk to write (key, value, string headers). */
export interface SnapshotChunk {
  /** `<partition>:<index>`, so compaction keeps the newest chunk of each slot. */
  key: string;
  /** This chunk's part of the body, at most the chunk size asked for. */
  value: Uint8Array;
  /** The header (see {@linkcode SnapshotHeader}), as strings. */
  headers: Record<string, string>;
}

/** One chunk as read back. */
export interface ReadChunk {
  /** Key bytes, or `null`. */
  key: Uint8Array | null;
  /** Value bytes, or `null` for a tombstone (passed over). */
  value: Uint8Array | null;
  /** Headers, parsed by {@linkcode parseHeader}. */
  headers: Record<string, Uint8Array>;
}

/** A restored snapshot. */
export interface RestoredSnapshot {
  /** The source offset it covers. */
  offset: number;
  /** The featurize state of its partition (one partition), its store restored. */
  state: FeaturizeState<SessionStore>;
  /** Bytes of the body. */
  bytes: number;
}

/** A snapshot chunk set that could not be used, and why. */
export interface RejectedSnapshot {
  /** The input partition (`-1` when the chunk's header could not be read). */
  partition: number;
  /** The source offset the snapshot covers (`-1` when the chunk's header could not be read). */
  offset: number;
  /** Why it was passed over. */
  reason: string;
}

const H = {
  format: "snapshot-format",
  version: "snapshot-version",
  partition: "snapshot-partition",
  offset: "snapshot-offset",
  chunk: "snapshot-chunk",
  chunks: "snapshot-chunks",
  sha256: "snapshot-sha256",
  bytes: "snapshot-bytes",
} as const;

/**
 * The chunks of a snapshot of `state` (one partition's featurize state: its store itself, or
 * its JSON form) for feature set `featureSet`, each value at most `maxChunkBytes` (default
 * {@linkcode DEFAULT_CHUNK_BYTES}).
 *
 * @throws {RangeError} on a chunk size that is not a positive integer
 * @throws {TypeError} on sessions (in JSON form) of a layout this program does not know
 */
export async function encodeSnapshot(
  state: PartitionFeatureState,
  featureSet: number,
  maxChunkBytes: number = DEFAULT_CHUNK_BYTES,
): Promise<SnapshotChunk[]> {
  if (!Number.isSafeInteger(maxChunkBytes) || maxChunkBytes < 1) {
    throw new RangeError(
      `Cannot chunk a snapshot into ${maxChunkBytes}-byte chunks: expected a positive integer.`,
    );
  }
  const { values, sha256: sha, bytes } = encodeSnapshotBody(state, featureSet, maxChunkBytes);
  await Promise.resolve(); // asynchronous as before (it hashed with crypto.subtle); errors reject
  const chunks = values.length;
  return values.map((v, i) => ({
    key: `${state.partition}:${i}`,
    value: v,
    headers: {
      [H.format]: SNAPSHOT_FORMAT,
      [H.version]: String(SNAPSHOT_VERSION),
      [H.partition]: String(state.partition),
      [H.offset]: String(state.next),
      [H.chunk]: String(i),
      [H.chunks]: String(chunks),
      [H.sha256]: sha,
      [H.bytes]: String(bytes),
    },
  }));
}

const decoder = new TextDecoder();

/**
 * The header of a read chunk, or a string saying why it is not a snapshot chunk of this
 * program's version.
 */
export function parseHeader(headers: Record<string, Uint8Array>): SnapshotHeader | string {
  const text = (name: string) => {
    const v = headers[name];
    return v === undefined ? undefined : decoder.decode(v);
  };
  const format = text(H.format);
  if (format !== SNAPSHOT_FORMAT) {
    return `format ${JSON.stringify(format)} is not ${SNAPSHOT_FORMAT}`;
  }
  const ints: Record<string, number> = {};
  for (const name of ["version", "partition", "offset", "chunk", "chunks", "bytes"] as const) {
    const raw = text(H[name]);
    const n = raw === undefined || !/^\d+$/.test(raw) ? NaN : Number(raw);
    if (!Number.isSafeInteger(n)) {
      return `header ${H[name]} ${JSON.stringify(raw)} is not an integer`;
    }
    ints[name] = n;
  }
  if (ints.version !== SNAPSHOT_VERSION) {
    return `version ${ints.version} is not ${SNAPSHOT_VERSION}`;
  }
  if (ints.chunks < 1 || ints.chunk >= ints.chunks) {
    return `chunk ${ints.chunk} of ${ints.chunks} is out of range`;
  }
  const sha = text(H.sha256) ?? "";
  if (!/^[0-9a-f]{64}$/.test(sha)) {
    return `header ${H.sha256} ${JSON.stringify(sha)} is not a SHA-256`;
  }
  return {
    format,
    version: ints.version,
    partition: ints.partition,
    offset: ints.offset,
    chunk: ints.chunk,
    chunks: ints.chunks,
    sha256: sha,
    bytes: ints.bytes,
  };
}

/** One snapshot's chunks gathered so far. */
interface ChunkSet {
  header: SnapshotHeader;
  parts: (Uint8Array | undefined)[];
  /** The order it was first seen in (later = newer among equal offsets). */
  seen: number;
}

/** Options of {@linkcode SnapshotAssembler}. */
export interface SnapshotAssemblerOptions {
  /**
   * Snapshots kept per partition while reading (the newest by offset), so an older one is at
   * hand when the newest is torn.
   *
   * @default {3}
   */
  keep?: number;
}

/** See the module documentation. */
export class SnapshotAssembler {
  #sets = new Map<number, Map<string, ChunkSet>>();
  #keep: number;
  #seen = 0;
  /** Chunks and snapshots passed over, and why. */
  readonly rejected: RejectedSnapshot[] = [];

  /**
   * Creates an assembler that has read no chunk yet.
   *
   * @param options see {@linkcode SnapshotAssemblerOptions}
   * @throws {RangeError} on a `keep` that is not a positive integer
   */
  constructor(options: SnapshotAssemblerOptions = {}) {
    const keep = options.keep ?? 3;
    if (!Number.isSafeInteger(keep) || keep < 1) {
      throw new RangeError(`Cannot keep ${keep} snapshots per partition: expected an integer ≥ 1.`);
    }
    this.#keep = keep;
  }

  /** Takes one chunk read from `<topic>.sessions`, in log order. */
  add(record: ReadChunk): void {
    if (record.value === null) return;
    const header = parseHeader(record.headers);
    if (typeof header === "string") {
      this.rejected.push({ partition: -1, offset: -1, reason: header });
      return;
    }
    let sets = this.#sets.get(header.partition);
    if (sets === undefined) this.#sets.set(header.partition, sets = new Map());
    const id = `${header.offset}/${header.sha256}`;
    let set = sets.get(id);
    if (set === undefined) {
      set = { header, parts: new Array(header.chunks), seen: this.#seen++ };
      sets.set(id, set);
      if (sets.size > this.#keep) {
        // One more than `keep`: sorted newest first, the one at index `keep` is the oldest.
        const oldest = [...sets.entries()].sort(([, a], [, b]) => newer(a, b))[this.#keep];
        sets.delete(oldest[0]);
      }
    }
    if (set.header.chunks !== header.chunks || set.header.bytes !== header.bytes) {
      this.rejected.push({
        partition: header.partition,
        offset: header.offset,
        reason: `chunk ${header.chunk} disagrees on the chunk count or size`,
      });
      return;
    }
    set.parts[header.chunk] = record.value;
  }

  /** The partitions some snapshot was read for, ascending. */
  get partitions(): number[] {
    return [...this.#sets.keys()].sort((a, b) => a - b);
  }

  /**
   * The newest complete snapshot of `partition` whose size and checksum hold and whose body is a
   * featurize state of `partition`, or `undefined` when there is none (replay from the start).
   * Sets passed over are added to {@linkcode rejected}.
   */
  newest(partition: number): Promise<RestoredSnapshot | undefined> {
    return Promise.resolve(this.#newest(partition));
  }

  #newest(partition: number): RestoredSnapshot | undefined {
    const sets = [...(this.#sets.get(partition)?.values() ?? [])].sort(newer);
    for (const set of sets) {
      const h = set.header;
      const reject = (reason: string) =>
        this.rejected.push({ partition, offset: h.offset, reason });
      const missing = set.parts.findIndex((p) => p === undefined);
      if (missing >= 0 || set.parts.length !== h.chunks) {
        reject(`chunk ${missing} of ${h.chunks} is missing`);
        continue;
      }
      const size = set.parts.reduce((n, p) => n + p!.length, 0);
      if (size !== h.bytes) {
        reject(`its chunks hold ${size} bytes, the header says ${h.bytes}`);
        continue;
      }
      const hash = createHash("sha256");
      for (const part of set.parts) hash.update(part!);
      if (hash.digest("hex") !== h.sha256) {
        reject("the SHA-256 checksum does not match the body");
        continue;
      }
      let state: FeaturizeState<SessionStore>;
      try {
        state = decodeSnapshotBody(set.parts as Uint8Array[]);
      } catch (error) {
        reject(`the body cannot be decoded (${(error as Error).message})`);
        continue;
      }
      const p = state.partitions[0];
      if (p.partition !== partition || p.next !== h.offset) {
        reject(
          `the body is not the featurize state of partition ${partition} at offset ${h.offset}`,
        );
        continue;
      }
      return { offset: h.offset, state, bytes: size };
    }
    return undefined;
  }
}

/** Sort order, newest first: the higher source offset, then the one seen later. */
function newer(a: ChunkSet, b: ChunkSet): number {
  return b.header.offset - a.header.offset || b.seen - a.seen;
}
