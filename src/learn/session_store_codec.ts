/**
 * The binary section codec of a `SessionStore` (`session_store.ts`), as the checkpoint
 * (`src/stream/checkpoint_codec.ts`) and the session snapshots (`src/stream/session_snapshot.ts`)
 * carry it: a small JSON-able head ({@linkcode SessionStoreHead}: layout, bounds, counters and
 * the number of sessions) and the sessions in chunks of bounded size, least recently seen first,
 * so that neither side ever holds one array or string of the whole store.
 *
 * A chunk (all numbers little-endian; fresh chunks start 8-byte aligned):
 *
 * | bytes               | what                                                             |
 * | ------------------- | ---------------------------------------------------------------- |
 * | 4 (u32)             | `n`, the sessions in the chunk (at least 1)                      |
 * | 4 (u32)             | the ids' text encoding: 1 UTF-8, 2 UTF-16 code units             |
 * | `8 * n * fields`    | the sessions' numbers (`Float64Array`, `fields` per session)     |
 * | `4 * n` (u32)       | each id's length in UTF-16 code units                            |
 * | rest                | the ids' text, one after the other                               |
 *
 * A chunk whose ids are all well-formed strings (every id a record can carry) stores them as
 * UTF-8; one with a lone surrogate among them as UTF-16 code units, so every id round-trips
 * exactly. The numbers are the slots' own bits: a restore is bitwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SessionStore, type SessionStoreState } from "./session_store.ts";
 * import { encodeSessionChunks, SessionStoreDecoder, sessionStoreHead } from "./session_store_codec.ts";
 *
 * const store = new SessionStore();
 * store.record({ session_id: "a", timestamp: 1, url: "/", action: "view" });
 * const decoder = new SessionStoreDecoder(sessionStoreHead(store), store.layout);
 * for (const chunk of encodeSessionChunks(store)) decoder.add(chunk);
 * assert.deepEqual(decoder.finish().toJSON(), store.toJSON());
 * ```
 *
 * @module
 */

import { SessionStore, type SessionStoreState } from "./session_store.ts";
import { CORE_FIELDS, CORE_LAYOUT, type SessionLayout } from "./session_layout.ts";
import { sessionStoreBounds } from "./session_store_state.ts";
import { readSlot } from "./session_slot.ts";
import { FEATURE_SETS } from "./feature_sets.ts";

/**
 * Bytes of one chunk at most by default (a chunk holds one session at least, whatever its size).
 */
export const DEFAULT_SESSION_CHUNK_BYTES = 1 << 20;

const TEXT_UTF8 = 1;
const TEXT_UTF16 = 2;
const HEAD_BYTES = 8;

/** Everything of a store but its sessions, and how many there are. */
export interface SessionStoreHead {
  /** The layout's name and fields. */
  layout: { name: string; fields: string[] };
  /** The store's idle timeout, seconds. */
  idleSeconds: number;
  /** The store's cap on live sessions. */
  maxSessions: number;
  /** Highest event time seen, or `null` before the first event. */
  watermark: number | null;
  /** Sessions expired by idleness so far. */
  expired: number;
  /** Sessions evicted by the cap so far. */
  evicted: number;
  /** Live sessions, in the chunks that follow. */
  sessions: number;
}

/** The head of `store` (see {@linkcode SessionStoreHead}). */
export function sessionStoreHead(store: SessionStore): SessionStoreHead {
  return { ...sessionStoreBounds(store), sessions: store.size };
}

/** Options of {@linkcode encodeSessionChunks}. */
export interface EncodeSessionChunksOptions {
  /**
   * Whether each chunk is a view of one buffer that the next chunk overwrites (for a writer that
   * is done with a chunk before it asks for the next: a checkpoint), instead of a new array the
   * caller may keep: a store's encoding then allocates one chunk's bytes, not the store's.
   * @default {false}
   */
  reuse?: boolean;
}

/**
 * The chunks of `store`'s sessions, least recently seen first, each at most `maxBytes` (default
 * {@linkcode DEFAULT_SESSION_CHUNK_BYTES}) unless one session alone is bigger. Each chunk is a
 * new array the caller may keep, unless `options.reuse`. The store must not change until the
 * last chunk is taken.
 *
 * @throws {RangeError} on a `maxBytes` that is not a positive integer
 */
export function* encodeSessionChunks(
  store: SessionStore,
  maxBytes: number = DEFAULT_SESSION_CHUNK_BYTES,
  options: EncodeSessionChunksOptions = {},
): Generator<Uint8Array, void, undefined> {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(
      `Cannot cut a session store into ${maxBytes}-byte chunks: expected a positive integer.`,
    );
  }
  const perSession = 8 * store.shape.fields.length + 4;
  const scratch = options.reuse ? { buffer: new ArrayBuffer(0), least: maxBytes } : undefined;
  // The chunk's slots, in one array for every chunk (not a JS array per chunk: ~10k numbers a
  // chunk of 1 MiB, garbage the size of the store's slot ids per checkpoint).
  let slots = new Int32Array(1024), n = 0;
  let units = 0;
  for (let slot = store.leastRecent; slot >= 0; slot = store.seenAfter(slot)) {
    const length = idUnits(store, slot);
    if (n > 0 && HEAD_BYTES + (n + 1) * perSession + 3 * (units + length) > maxBytes) {
      yield encodeChunk(store, slots, n, units, scratch);
      n = 0;
      units = 0;
    }
    if (n === slots.length) {
      const grown = new Int32Array(2 * n);
      grown.set(slots);
      slots = grown;
    }
    slots[n++] = slot;
    units += length;
  }
  if (n > 0) yield encodeChunk(store, slots, n, units, scratch);
}

/**
 * The length in UTF-16 code units of the id of `slot`, from its WTF-8 bytes: one unit per
 * sequence, two for a four-byte one (a pair). Allocates nothing.
 */
function idUnits(store: SessionStore, slot: number): number {
  const arena = store.idArray(slot), o = store.idOffset(slot), end = o + store.idLength(slot);
  let units = 0;
  for (let p = o; p < end; p++) {
    const b = arena[p];
    if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1; // a lead byte (or ASCII)
  }
  return units;
}

/** Whether the id of `slot` has a lone surrogate: a three-byte sequence of U+D800..U+DFFF. */
function hasLoneSurrogate(store: SessionStore, slot: number): boolean {
  const arena = store.idArray(slot), o = store.idOffset(slot), end = o + store.idLength(slot);
  for (let p = o; p < end - 1; p++) if (arena[p] === 0xed && arena[p + 1] >= 0xa0) return true;
  return false;
}

/**
 * One chunk of the sessions of `slots[0 .. n)` (`units` code units of ids): a new array, or with
 * `scratch` a view of its buffer (of `least` bytes at least; replaced only for a bigger chunk).
 */
function encodeChunk(
  store: SessionStore,
  slots: Int32Array,
  n: number,
  units: number,
  scratch?: { buffer: ArrayBuffer; least: number },
): Uint8Array {
  const width = store.shape.fields.length; // numbers per session, every field as a float64
  let wellFormed = true;
  for (let i = 0; i < n && wellFormed; i++) wellFormed = !hasLoneSurrogate(store, slots[i]);
  const textAt = HEAD_BYTES + n * (8 * width + 4);
  const size = textAt + (wellFormed ? 3 : 2) * units;
  if (scratch !== undefined && scratch.buffer.byteLength < size) {
    scratch.buffer = new ArrayBuffer(Math.max(size, scratch.least));
  }
  const buffer = scratch?.buffer ?? new ArrayBuffer(size);
  const view = new DataView(buffer);
  view.setUint32(0, n, true);
  view.setUint32(4, wellFormed ? TEXT_UTF8 : TEXT_UTF16, true);
  const fields = new Float64Array(buffer, HEAD_BYTES, n * width);
  const lengths = new Uint32Array(buffer, HEAD_BYTES + 8 * n * width, n);
  const { shape, stride, slots: slotsArray, words } = store;
  const bytes = new Uint8Array(buffer);
  let at = textAt;
  const text = wellFormed ? undefined : new Uint16Array(buffer, textAt, units);
  let unit = 0;
  for (let i = 0; i < n; i++) {
    const s = slots[i];
    readSlot(shape, slotsArray, words, s * stride, fields, i * width);
    lengths[i] = idUnits(store, s);
    if (text === undefined) {
      // A well-formed id's WTF-8 bytes are its UTF-8: copied as they are, no string.
      const arena = store.idArray(s), o = store.idOffset(s), length = store.idLength(s);
      for (let k = 0; k < length; k++) bytes[at + k] = arena[o + k];
      at += length;
    } else {
      const id = store.idAt(s);
      for (let k = 0; k < id.length; k++) text[unit++] = id.charCodeAt(k);
    }
  }
  if (text !== undefined) at = textAt + 2 * units;
  // Little-endian is assumed by the typed views; every supported target is.
  if (scratch !== undefined) return bytes.subarray(0, at);
  return at === bytes.length ? bytes : bytes.slice(0, at);
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Restores a store from its head and chunks (see the module documentation). */
export class SessionStoreDecoder {
  #store: SessionStore;
  #head: SessionStoreHead;
  #left: number;

  /**
   * A decoder of the sessions `head` announces, into a new store of its bounds and `layout`.
   * @param head the store's head, as {@linkcode sessionStoreHead} gave it
   * @param layout the layout to restore into: its name and fields must be the head's
   * @throws {TypeError} if the head is malformed or of another layout
   */
  constructor(head: SessionStoreHead, layout: SessionLayout) {
    if (
      head === null || typeof head !== "object" || !Number.isSafeInteger(head.sessions) ||
      head.sessions < 0 || typeof head.layout?.name !== "string" ||
      !Array.isArray(head.layout.fields)
    ) {
      throw new TypeError(
        `Cannot restore a SessionStore: ${JSON.stringify(head)} is not a session store's head.`,
      );
    }
    if (head.layout.name !== layout.name || head.layout.fields.join() !== layout.fields.join()) {
      throw new TypeError(
        `Cannot restore a SessionStore: the saved sessions are of layout ${
          JSON.stringify(head.layout.name)
        } (fields ${[...CORE_FIELDS, ...head.layout.fields].join(", ")}), not ${
          JSON.stringify(layout.name)
        } (fields ${[...CORE_FIELDS, ...layout.fields].join(", ")}).`,
      );
    }
    this.#store = new SessionStore({
      idleSeconds: head.idleSeconds,
      maxSessions: head.maxSessions,
      layout,
    });
    this.#head = head;
    this.#left = head.sessions;
  }

  /** Sessions still to come. */
  get remaining(): number {
    return this.#left;
  }

  /**
   * Restores the sessions of one chunk.
   *
   * @throws {TypeError} if the chunk is malformed, holds more sessions than remain, or repeats
   * an id
   */
  add(chunk: Uint8Array): void {
    const bad = (why: string) =>
      new TypeError(`Cannot restore a SessionStore from a ${chunk.length}-byte chunk: ${why}.`);
    if (chunk.byteOffset % 8 !== 0) chunk = chunk.slice();
    if (chunk.length < HEAD_BYTES) throw bad("it is shorter than its head");
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = view.getUint32(0, true);
    const encoding = view.getUint32(4, true);
    const stride = this.#store.shape.fields.length; // numbers per session
    const textAt = HEAD_BYTES + n * (8 * stride + 4);
    if (n < 1 || n > this.#left) {
      throw bad(`it holds ${n} sessions, ${this.#left} remain to restore`);
    }
    if (textAt > chunk.length) throw bad(`${n} sessions of ${stride} numbers do not fit`);
    if (encoding !== TEXT_UTF8 && encoding !== TEXT_UTF16) {
      throw bad(`text encoding ${encoding} is neither 1 (UTF-8) nor 2 (UTF-16)`);
    }
    const fields = new Float64Array(chunk.buffer, chunk.byteOffset + HEAD_BYTES, n * stride);
    const lengths = new Uint32Array(
      chunk.buffer,
      chunk.byteOffset + HEAD_BYTES + 8 * n * stride,
      n,
    );
    let units = 0;
    for (let i = 0; i < n; i++) units += lengths[i];
    const text = chunk.subarray(textAt);
    let ids: string;
    if (encoding === TEXT_UTF8) {
      try {
        ids = utf8Decoder.decode(text);
      } catch (error) {
        throw bad(`its ids are not UTF-8 (${(error as Error).message})`);
      }
    } else {
      if (text.length !== 2 * units) {
        throw bad(`its ids take ${text.length} bytes, not ${2 * units}`);
      }
      ids = fromCodeUnits(new Uint16Array(chunk.buffer, chunk.byteOffset + textAt, units));
    }
    if (ids.length !== units) throw bad(`its ids are ${ids.length} code units, not ${units}`);
    let at = 0;
    for (let i = 0; i < n; i++) {
      this.#store.restoreSession(ids.slice(at, at + lengths[i]), fields, i * stride);
      at += lengths[i];
    }
    this.#left -= n;
  }

  /**
   * The restored store, once every session came.
   *
   * @throws {TypeError} if sessions are missing
   */
  finish(): SessionStore {
    if (this.#left !== 0) {
      throw new TypeError(
        `Cannot restore a SessionStore: ${this.#left} of its ${this.#head.sessions} sessions are missing.`,
      );
    }
    const h = this.#head;
    this.#store.restoreCounters(h.watermark, h.expired, h.evicted);
    return this.#store;
  }
}

/**
 * The store a saved state's `sessions` stands for: a `SessionStore` itself (a binary
 * checkpoint's, taken over as it is) or its JSON form, restored into `layout`.
 *
 * @throws {TypeError} if the sessions are of another layout, or malformed
 */
export function restoreSessions(
  sessions: SessionStoreState | SessionStore,
  layout: SessionLayout,
): SessionStore {
  if (!(sessions instanceof SessionStore)) return SessionStore.fromJSON(sessions, layout);
  const saved = sessions.layout;
  if (saved.name !== layout.name || saved.fields.join() !== layout.fields.join()) {
    throw new TypeError(
      `Cannot restore a SessionStore: the state's sessions are of layout ${
        JSON.stringify(saved.name)
      } (fields ${[...CORE_FIELDS, ...saved.fields].join(", ")}), not ${
        JSON.stringify(layout.name)
      } (fields ${[...CORE_FIELDS, ...layout.fields].join(", ")}).`,
    );
  }
  return sessions;
}

/**
 * The layout named `name` among those this program's stores can be of (each feature set's, and
 * the core one), or `undefined`: what a decoder restores a saved head's sessions into.
 */
export function knownSessionLayout(name: string): SessionLayout | undefined {
  if (name === CORE_LAYOUT.name) return CORE_LAYOUT;
  return FEATURE_SETS.find((s) => s.layout.name === name)?.layout;
}

/** The string of UTF-16 code units `units`, lone surrogates kept. */
function fromCodeUnits(units: Uint16Array): string {
  let s = "";
  for (let i = 0; i < units.length; i += 4096) {
    s += String.fromCharCode.apply(null, units.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}
