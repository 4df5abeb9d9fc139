/**
 * The bounded, serializable per-session state that point-in-time features are computed from.
 * For each live `session_id` it keeps what was known after that session's last event: the
 * **core** fields — first and last event time, event count — and the fields of its
 * {@linkcode SessionLayout}, which a feature set declares and updates (the `position` set: the
 * current 5-minute tumbling window; the `fields` set: earlier actions by action, spend, the last
 * page's class). The store calls the layout's `start` / `update` on each recorded event, before
 * it expires or evicts anything.
 *
 * Bounded two ways, both deterministic functions of the input order (never of batch boundaries
 * or wall time): a session idle for more than `idleSeconds` of *event time* is expired (checked
 * against the highest timestamp seen, the watermark, and also when its next event arrives), and
 * when more than `maxSessions` are live the least recently seen one is evicted (LRU).
 *
 * Storage is a slot array ({@linkcode SessionStore.stride} float64 words per slot: the float
 * fields as float64, the integer ones — counts, classes — as int32 words after them, one buffer
 * seen as {@linkcode SessionStore.slots} and {@linkcode SessionStore.words}; `session_slot.ts`)
 * threaded on an intrusive doubly linked recency list, plus a
 * {@linkcode ByteKeyIndex} from the id's bytes to its slot. Ids are keyed by their WTF-8 bytes
 * (`src/util/wtf8.ts`: UTF-8 for any well-formed id, and injective over all strings): the byte
 * decoder's session-id slices (`lookupKey` / `recordKey`, what the featurize stage calls) and
 * strings (`lookup` / `record`, encoded into a scratch buffer) find the same session, and two
 * distinct ids never merge, whatever their hashes (the index compares the bytes). Nothing is
 * allocated per event on the byte path, and no string is kept per session: an id's string is
 * made from its bytes when asked for ({@linkcode SessionStore.idAt}: checkpoints, `toJSON`), and
 * the ones `recordKey` returns for rows are kept in a bounded cache by slot
 * (`session_store_ids.ts`), so that a session's is made about once.
 *
 * Memory: the slots, the recency links and the index are allocated for the cap up front (up to
 * {@linkcode PREALLOCATED_SESSIONS}; beyond it they grow by doubling) and touched only as
 * sessions arrive — the kernel maps a typed array's zero pages on first write — so a store
 * never holds an old and a new copy of its slots at once, and one capped at a million that
 * holds a thousand costs about the thousand's pages.
 * {@linkcode SessionStore.toJSON} gives a plain JSON-able object (sessions in recency order,
 * with the layout's name and fields) that {@linkcode SessionStore.fromJSON} restores exactly.
 *
 * The layout's types are in `session_layout.ts`, the state's form and its check in
 * `session_store_state.ts` (this module re-exports both), the recency list in `recency_list.ts`,
 * the one-entry cache of byte-key lookups in `key_lookup_cache.ts`.
 *
 * @module
 */

import { fnv1a32 } from "../util/fnv1a.ts";
import { decodeWtf8, encodeWtf8Into } from "../util/wtf8.ts";
import { ByteKeyIndex } from "./byte_key_index.ts";
import { NIL, RecencyList } from "./recency_list.ts";
import { KeyLookupCache } from "./key_lookup_cache.ts";
import { SessionIdCache } from "./session_store_ids.ts";
import { layoutShape, MAX_WHOLE, type SlotShape, writeSlot } from "./session_slot.ts";
import { CORE_LAYOUT, type SessionEvent, type SessionLayout } from "./session_layout.ts";
import {
  checkSessionStoreState,
  restoreSessionStoreState,
  type SessionStoreState,
  sessionStoreState,
} from "./session_store_state.ts";

export {
  CORE_FIELDS,
  CORE_LAYOUT,
  type SessionEvent,
  type SessionLayout,
  VERSION_1_FIELDS,
} from "./session_layout.ts";
export type { SessionStoreState } from "./session_store_state.ts";

const F_START = 0, F_LAST = 1; // float64 words of every slot (session_slot.ts)

/**
 * Sessions a store allocates room for up front, at most (its cap + 1, if lower); a higher cap
 * grows the storage by doubling beyond it.
 */
export const PREALLOCATED_SESSIONS = 1 << 22;

/** Bounds of a {@linkcode SessionStore}. */
export interface SessionStoreOptions {
  /** Event-time idleness after which a session is forgotten, seconds. Default `1800` (30 min). */
  idleSeconds?: number;
  /** Hard cap on live sessions; the least recently seen is evicted beyond it. Default `100000`. */
  maxSessions?: number;
}

/** Options of the {@linkcode SessionStore} constructor: its bounds and its layout. */
export interface SessionStoreInit extends SessionStoreOptions {
  /** The per-session fields besides the core ones. Default {@linkcode CORE_LAYOUT}. */
  layout?: SessionLayout;
}

/**
 * A copy of one session's state, as returned by {@linkcode SessionStore.get}: the core fields
 * (`start`, `last`: first and latest event time; `count`: events so far) and the layout's, by
 * name.
 */
export type SessionView = Record<string, number>;

/** The bounded session store. */
export class SessionStore {
  /** The per-session fields besides the core ones. */
  readonly layout: SessionLayout;
  /** Where each field lies in a slot (`session_slot.ts`). */
  readonly shape: SlotShape;
  /** Float64 words per slot (the core fields and the layout's, integers as int32 words). */
  readonly stride: number;
  #idle: number;
  #max: number;
  #index: ByteKeyIndex;
  #keys: KeyLookupCache; // the byte key of the last lookupKey and its slot
  #fields: Float64Array;
  #words: Int32Array; // the same bytes as #fields
  #countAt: number; // the count's int32 word in a slot
  #order: RecencyList;
  #scratch = new Uint8Array(256); // a string id's bytes
  #watermark = -Infinity;
  #expired = 0;
  #evicted = 0;
  // one-entry cache of the last lookup, so featurize-then-record costs one Map lookup
  #lastId: string | undefined = undefined;
  #lastSlot = NIL;
  #ids: SessionIdCache; // the id strings recordKey returned, by slot

  /**
   * An empty store of the bounds and layout given, its slots allocated for the cap.
   * @param options see {@linkcode SessionStoreInit}
   */
  constructor(options: SessionStoreInit = {}) {
    this.layout = options.layout ?? CORE_LAYOUT;
    this.shape = layoutShape(this.layout);
    this.stride = this.shape.stride;
    this.#countAt = this.shape.offsets.count;
    this.#idle = options.idleSeconds ?? 1800;
    this.#max = options.maxSessions ?? 100_000;
    checkBounds("create", this.#idle, this.#max);
    // The cap + 1: a new session is in before the sweep evicts one.
    const cap = Math.min(this.#max + 1, PREALLOCATED_SESSIONS);
    this.#fields = new Float64Array(cap * this.stride);
    this.#words = new Int32Array(this.#fields.buffer);
    this.#order = new RecencyList(cap);
    this.#index = new ByteKeyIndex({ initialCapacity: cap });
    this.#keys = new KeyLookupCache(this.#index);
    this.#ids = new SessionIdCache(cap);
  }

  /** Live sessions. */
  get size(): number {
    return this.#index.size;
  }

  /** Sessions expired by idleness so far. */
  get expired(): number {
    return this.#expired;
  }

  /** Sessions evicted by the cap so far. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Highest event time seen, or `null` before the first event. */
  get watermark(): number | null {
    return Number.isFinite(this.#watermark) ? this.#watermark : null;
  }

  /** The idle timeout, seconds. */
  get idleSeconds(): number {
    return this.#idle;
  }

  /** The hard cap on live sessions. */
  get maxSessions(): number {
    return this.#max;
  }

  /**
   * Replaces the bounds given (a restored store's saved ones by the configured ones); a lower cap
   * or a shorter idle time takes effect at the next `record`, deterministically.
   * @throws {RangeError} if a bound is not a positive number (idle) or integer (cap)
   */
  setBounds(options: SessionStoreOptions): void {
    const idle = options.idleSeconds ?? this.#idle, max = options.maxSessions ?? this.#max;
    checkBounds("bound", idle, max);
    this.#idle = idle;
    this.#max = max;
  }

  /**
   * The slot of a live, not-idle session for an event at `time`, or -1. A session whose last
   * event is more than `idleSeconds` before `time` counts as gone. Slots are valid until the
   * next `record`; read them with the `field*` methods.
   */
  lookup(id: string, time: number): number {
    return this.#live(this.#find(id), time);
  }

  /**
   * {@linkcode SessionStore.lookup} of the session whose id's WTF-8 bytes are
   * `bytes[start .. start + length)`, with `hash` their FNV-1a 32 hash (`src/util/fnv1a.ts`;
   * the byte decoder's `sessionHash`). Allocates nothing.
   */
  lookupKey(bytes: Uint8Array, start: number, length: number, hash: number, time: number): number {
    return this.#live(this.#keys.lookup(bytes, start, length, hash), time);
  }

  #live(slot: number, time: number): number {
    if (slot === NIL) return NIL;
    if (time - this.#fields[slot * this.stride + F_LAST] > this.#idle) return NIL;
    return slot;
  }

  #find(id: string): number {
    if (id === this.#lastId) return this.#lastSlot;
    const length = this.#encode(id);
    const slot = this.#index.lookup(this.#scratch, 0, length, fnv1a32(this.#scratch, 0, length));
    this.#lastId = id;
    this.#lastSlot = slot;
    return slot;
  }

  /** Writes `id`'s WTF-8 bytes to the scratch buffer; returns their length. */
  #encode(id: string): number {
    if (3 * id.length > this.#scratch.length) {
      this.#scratch = new Uint8Array(Math.max(3 * id.length, 2 * this.#scratch.length));
    }
    return encodeWtf8Into(id, this.#scratch, 0);
  }

  /**
   * Raw slot storage for the featurizer, as float64 words: {@linkcode SessionStore.stride} per
   * slot (the float fields at `shape.at`). Replaced when the storage grows (above
   * {@linkcode PREALLOCATED_SESSIONS}): fetch it again after a `record`.
   */
  get slots(): Float64Array {
    return this.#fields;
  }

  /**
   * The same storage as {@linkcode SessionStore.slots}, as int32 words: a slot at float64 index
   * `s` has its integer fields at `words[2 * s + at]` (`shape.at`).
   */
  get words(): Int32Array {
    return this.#words;
  }

  /** A copy of a live session's state (for tests and inspection), or `undefined`. */
  get(id: string): SessionView | undefined {
    const length = this.#encode(id);
    const slot = this.#index.lookup(this.#scratch, 0, length, fnv1a32(this.#scratch, 0, length));
    if (slot === NIL) return undefined;
    const o = slot * this.stride, f = this.#fields, u = this.#words, shape = this.shape;
    const view: SessionView = {};
    shape.fields.forEach((name, j) => {
      view[name] = shape.integer[j] ? u[2 * o + shape.at[j]] : f[o + shape.at[j]];
    });
    return view;
  }

  /**
   * Records `event` in its session: the core fields, then the layout's (`start` for a new
   * session, `update` for a live one); the session becomes the most recently seen, then idle
   * sessions are expired and the cap enforced.
   */
  record(event: SessionEvent): void {
    const id = event.session_id;
    const stale = this.#find(id);
    const length = this.#encode(id);
    this.#record(stale, this.#scratch, 0, length, fnv1a32(this.#scratch, 0, length), event);
  }

  /**
   * {@linkcode SessionStore.record} of `event`, whose session id's WTF-8 bytes are
   * `bytes[start .. start + length)` with FNV-1a 32 hash `hash` (as for
   * {@linkcode SessionStore.lookupKey}). Allocates nothing but a new session's key (in the
   * index's arena) and the id's string it returns, made from the bytes (`decodeWtf8`: a tenth
   * of the cost of `TextDecoder`'s on ten bytes; `event.session_id` is not read) once per
   * session while it stays in the bounded cache of `session_store_ids.ts`. With `withId` false
   * it makes no string and returns `""` (for rows whose session ids nothing reads).
   */
  recordKey(
    bytes: Uint8Array,
    start: number,
    length: number,
    hash: number,
    event: SessionEvent,
    withId = true,
  ): string {
    const slot = this.#record(
      this.#keys.lookup(bytes, start, length, hash),
      bytes,
      start,
      length,
      hash,
      event,
    );
    if (!withId) return "";
    const cached = this.#ids.get(slot);
    if (cached !== undefined) return cached;
    const id = decodeWtf8(bytes, start, length);
    if (this.#index.has(slot)) this.#ids.set(slot, id); // (one expired at once left its slot free)
    return id;
  }

  /**
   * Records `event` in the session of `found` (its slot, live or stale, or NIL) or a new one;
   * returns the session's slot (no longer live if the sweep expired the session at once: an
   * event more than the idle time behind the watermark).
   */
  #record(
    found: number,
    bytes: Uint8Array,
    start: number,
    length: number,
    hash: number,
    event: SessionEvent,
  ): number {
    const time = event.timestamp;
    let slot = this.#live(found, time);
    if (slot === NIL) {
      if (found !== NIL) {
        this.#remove(found);
        this.#expired++;
      }
      slot = this.#allocate(bytes, start, length, hash);
      const o = slot * this.stride;
      const f = this.#fields, u = this.#words; // #allocate may have grown the storage
      f[o + F_START] = time;
      f[o + F_LAST] = time;
      u[2 * o + this.#countAt] = 1;
      this.layout.start(f, u, o, event);
    } else {
      const o = slot * this.stride, f = this.#fields, u = this.#words;
      if (time > f[o + F_LAST]) f[o + F_LAST] = time;
      const c = 2 * o + this.#countAt, count = u[c];
      if (count < MAX_WHOLE) u[c] = count + 1;
      this.layout.update(f, u, o, event);
      this.#order.touch(slot);
    }
    if (time > this.#watermark) this.#watermark = time;
    this.#sweep();
    this.#keys.clear();
    return slot;
  }

  /** The plain JSON-able state, sessions least recently seen first. */
  toJSON(): SessionStoreState {
    return sessionStoreState(this);
  }

  /**
   * Restores a store of `layout` (default {@linkcode CORE_LAYOUT}) from
   * {@linkcode SessionStore.toJSON}'s output. A version-1 state (no layout) restores into a
   * layout whose fields are the 5-minute window's ({@linkcode VERSION_1_FIELDS}).
   *
   * @throws {TypeError} if the state is malformed or of another layout
   */
  static fromJSON(state: SessionStoreState, layout: SessionLayout = CORE_LAYOUT): SessionStore {
    checkSessionStoreState(state, layout);
    const store = new SessionStore({
      idleSeconds: state.idleSeconds,
      maxSessions: state.maxSessions,
      layout,
    });
    restoreSessionStoreState(store, state);
    return store;
  }

  /**
   * Live sessions' slots, least recently seen first, for encoders that stream the store
   * (`session_store_codec.ts`; numbers in `slots` and `words` at `slot * stride`, read in state
   * order by `readSlot` of `session_slot.ts`; ids by `idAt`). Valid until the next `record`.
   */
  *recency(): Generator<number, void, undefined> {
    const order = this.#order;
    for (let s = order.head; s !== NIL; s = order.after(s)) yield s;
  }

  /**
   * The least recently seen live session's slot, or -1 when empty: with
   * {@linkcode SessionStore.seenAfter}, {@linkcode SessionStore.recency}'s order without an
   * iterator (`for (let s = store.leastRecent; s >= 0; s = store.seenAfter(s))`: no object per
   * session, for a checkpoint of a million).
   */
  get leastRecent(): number {
    return this.#order.head;
  }

  /** The slot of the session seen next after the one in `slot` (live), or -1 after the last. */
  seenAfter(slot: number): number {
    return this.#order.after(slot);
  }

  /**
   * The id of the live session in `slot` (see {@linkcode SessionStore.recency}), made from its
   * bytes (allocates the string).
   */
  idAt(slot: number): string {
    const index = this.#index;
    return decodeWtf8(index.keyArray(slot), index.keyOffset(slot), index.keyLength(slot));
  }

  /**
   * The bytes of the id of the live session in `slot` (WTF-8; UTF-8 for a well-formed id) are
   * `idArray(slot)[idOffset(slot) .. + idLength(slot))`: for encoders that copy them without a
   * string. The array (the index's slot words or its arena) may be replaced by a later `record`;
   * fetch it again after one.
   */
  idArray(slot: number): Uint8Array {
    return this.#index.keyArray(slot);
  }

  /** Where the bytes of the id of the live session in `slot` start in `idArray(slot)`. */
  idOffset(slot: number): number {
    return this.#index.keyOffset(slot);
  }

  /** The length in bytes of the id of the live session in `slot`. */
  idLength(slot: number): number {
    return this.#index.keyLength(slot);
  }

  /**
   * Appends saved session `id` (its numbers in state order, `shape.fields.length` of them, at
   * `fields[at ..]`) as the most recent, on a store no event was recorded into, in the saved
   * order; nothing is expired or evicted.
   * @throws {TypeError} if `id` is live already, or an integer field's number is not a whole
   * number ≥ 0
   */
  restoreSession(id: string, fields: ArrayLike<number>, at: number): void {
    const length = this.#encode(id), bytes = this.#scratch;
    const hash = fnv1a32(bytes, 0, length);
    if (this.#index.lookup(bytes, 0, length, hash) !== NIL) {
      throw new TypeError(
        `Cannot restore a SessionStore: session id ${JSON.stringify(id)} appears twice.`,
      );
    }
    const slot = this.#allocate(bytes, 0, length, hash);
    writeSlot(this.shape, this.#fields, this.#words, slot * this.stride, fields, at, id);
  }

  /** Sets a restored store's watermark (`null`: none), expired and evicted counts. */
  restoreCounters(watermark: number | null, expired: number, evicted: number): void {
    this.#watermark = watermark ?? -Infinity;
    this.#expired = expired;
    this.#evicted = evicted;
  }

  #allocate(bytes: Uint8Array, start: number, length: number, hash: number): number {
    // The index hands out the most recently freed slot, else the next unused one.
    const slot = this.#index.insert(bytes, start, length, hash);
    while (slot >= this.#order.capacity) this.#grow();
    this.#order.append(slot);
    this.#lastId = undefined; // the string lookup cached may be this key's miss
    return slot;
  }

  #grow(): void {
    const had = this.#order.capacity;
    const cap = Math.max(Math.min(had * 2, this.#max + 1), had + 1);
    const fields = new Float64Array(cap * this.stride), words = new Int32Array(fields.buffer);
    words.set(this.#words); // the bytes as they are (both kinds of field)
    this.#fields = fields;
    this.#words = words;
    this.#order.grow(cap);
  }

  #remove(slot: number): void {
    if (slot === this.#lastSlot) this.#lastId = undefined;
    this.#ids.forget(slot);
    this.#keys.clear();
    this.#order.unlink(slot);
    this.#index.delete(slot);
  }

  #sweep(): void {
    const limit = this.#watermark - this.#idle;
    const order = this.#order;
    while (order.head !== NIL && this.#fields[order.head * this.stride + F_LAST] < limit) {
      this.#remove(order.head);
      this.#expired++;
    }
    while (this.#index.size > this.#max) {
      this.#remove(order.head);
      this.#evicted++;
    }
  }
}

function checkBounds(verb: string, idle: number, max: number): void {
  const bad = !(idle > 0)
    ? `idleSeconds ${idle}: expected a positive number`
    : !Number.isInteger(max) || max < 1
    ? `maxSessions ${max}: expected a positive integer`
    : null;
  if (bad !== null) throw new RangeError(`Cannot ${verb} a SessionStore with ${bad}.`);
}
