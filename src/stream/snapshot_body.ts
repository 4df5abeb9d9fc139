/**
 * The body of a session snapshot (`session_snapshot.ts`, version 2): frames of a u32 length
 * and that many bytes — first a small JSON one ({@linkcode SnapshotMeta}: the feature set's id,
 * the partition, its next offset, the session store's head), then the store's chunks in the
 * checkpoint's section codec (`session_store_codec.ts`) — cut into values of a maximum size and
 * hashed (SHA-256) as they are cut; decoded across those values without joining them, straight
 * into a `SessionStore`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { FeaturizeState, PartitionFeatureState } from "./featurize_stage.ts";
import { SessionStore } from "../learn/session_store.ts";
import {
  encodeSessionChunks,
  knownSessionLayout,
  SessionStoreDecoder,
  type SessionStoreHead,
  sessionStoreHead,
} from "../learn/session_store_codec.ts";

/** The first frame of a snapshot's body: everything but the sessions. */
export interface SnapshotMeta {
  /** The id of the feature set the sessions were featurized with. */
  featureSet: number;
  /** The input partition. */
  partition: number;
  /** The partition's next offset: the snapshot covers every record below it. */
  next: number;
  /** The session store's head: its bounds and counters, everything but the sessions. */
  head: SessionStoreHead;
}

/** A body cut into values. */
export interface SnapshotBody {
  /** The values, in order, each at most the size asked for. */
  values: Uint8Array[];
  /** Hex SHA-256 of the whole body. */
  sha256: string;
  /** Bytes of the whole body. */
  bytes: number;
}

/**
 * The body of a snapshot of `state` (its store itself, or its JSON form) of feature set
 * `featureSet`, cut into values of at most `maxChunkBytes`.
 *
 * @throws {TypeError} on sessions (in JSON form) of a layout this program does not know
 */
export function encodeSnapshotBody(
  state: PartitionFeatureState,
  featureSet: number,
  maxChunkBytes: number,
): SnapshotBody {
  const sessions = state.sessions;
  const store = sessions instanceof SessionStore
    ? sessions
    : SessionStore.fromJSON(sessions, layoutOf(sessions.layout?.name));
  const meta: SnapshotMeta = {
    featureSet,
    partition: state.partition,
    next: state.next,
    head: sessionStoreHead(store),
  };
  const values: Uint8Array[] = [];
  const hash = createHash("sha256");
  let value = new Uint8Array(maxChunkBytes);
  let used = 0;
  let bytes = 0;
  const append = (part: Uint8Array) => {
    hash.update(part);
    bytes += part.length;
    for (let at = 0; at < part.length;) {
      const take = Math.min(part.length - at, maxChunkBytes - used);
      value.set(part.subarray(at, at + take), used);
      used += take;
      at += take;
      if (used === maxChunkBytes) {
        values.push(value);
        value = new Uint8Array(maxChunkBytes);
        used = 0;
      }
    }
  };
  const frame = (payload: Uint8Array) => {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, payload.length, true);
    append(length);
    append(payload);
  };
  frame(new TextEncoder().encode(JSON.stringify(meta)));
  for (const chunk of encodeSessionChunks(store)) frame(chunk);
  if (used > 0) values.push(value.slice(0, used));
  return { values, sha256: hash.digest("hex"), bytes };
}

/**
 * The featurize state of a verified body, cut into `parts`: its first frame (JSON), then its
 * session chunks, read across the parts without joining them.
 *
 * @throws {TypeError} when it is not a body of this version
 */
export function decodeSnapshotBody(parts: Uint8Array[]): FeaturizeState<SessionStore> {
  let part = 0, at = 0;
  const read = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let got = 0; got < n;) {
      if (part === parts.length) throw new TypeError(`it ends within a frame`);
      const take = Math.min(n - got, parts[part].length - at);
      out.set(parts[part].subarray(at, at + take), got);
      got += take;
      at += take;
      if (at === parts[part].length) [part, at] = [part + 1, 0];
    }
    return out;
  };
  const frame = () => {
    const length = new DataView(read(4).buffer).getUint32(0, true);
    return read(length);
  };
  const meta: SnapshotMeta = JSON.parse(new TextDecoder().decode(frame()));
  if (!Number.isSafeInteger(meta?.partition) || !Number.isSafeInteger(meta?.next)) {
    throw new TypeError("its first frame names no partition and offset");
  }
  const sessions = new SessionStoreDecoder(meta.head, layoutOf(meta.head?.layout?.name));
  while (sessions.remaining > 0) sessions.add(frame());
  while (part < parts.length && at === parts[part].length) part++;
  if (part !== parts.length) throw new TypeError("bytes follow its last session");
  return {
    version: 1,
    featureSet: meta.featureSet,
    partitions: [{ partition: meta.partition, next: meta.next, sessions: sessions.finish() }],
  };
}

/**
 * The session layout named `name`.
 * @throws {TypeError} on a name this program does not know
 */
function layoutOf(name: string | undefined) {
  const layout = knownSessionLayout(name ?? "");
  if (layout === undefined) {
    throw new TypeError(`Sessions of layout ${JSON.stringify(name)} are unknown to this version.`);
  }
  return layout;
}
