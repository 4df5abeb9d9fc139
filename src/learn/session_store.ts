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
 * Storage is a slot array (`Float64Array`, {@linkcode SessionStore.stride} values per slot: the
 * core fields, then the layout's) threaded on an intrusive doubly linked recency list, plus a
 * {@linkcode ByteKeyIndex} from the id's bytes to its slot. Ids are keyed by their WTF-8 bytes
 * (`src/util/wtf8.ts`: UTF-8 for any well-formed id, and injective over all strings): the byte
 * decoder's session-id slices (`lookupKey` / `recordKey`, what the featurize stage calls) and
 * strings (`lookup` / `record`, encoded into a scratch buffer) find the same session, and two
 * distinct ids never merge, whatever their hashes (the index compares the bytes). Nothing is
 * allocated per event on the byte path; the id's string is kept once per session, on insert, for
 * {@linkcode SessionStore.toJSON}.
 * {@linkcode SessionStore.toJSON} gives a plain JSON-able object (sessions in recency order,
 * with the layout's name and fields) that {@linkcode SessionStore.fromJSON} restores exactly.
 *
 * @module
 */

import type { Action } from "../events/wire.ts";
import { fnv1a32 } from "../util/fnv1a.ts";
import { encodeWtf8Into } from "../util/wtf8.ts";
import { ByteKeyIndex } from "./byte_key_index.ts";

/** The fields every session keeps, first in its slot, in order. */
export const CORE_FIELDS = ["start", "last", "count"] as const;
const CORE = CORE_FIELDS.length;
const F_START = 0, F_LAST = 1, F_COUNT = 2;

/** What the store reads of an event: its session, time, and what a layout may record. */
export interface SessionEvent {
  /** The session id. */
  readonly session_id: string;
  /** Event time, epoch seconds. */
  readonly timestamp: number;
  /** Page url. */
  readonly url: string;
  /** What the user did. */
  readonly action: Action;
  /** Purchase amount; absent otherwise. */
  readonly amount?: number;
}

/**
 * The per-session fields a feature set needs besides the core ones, and how an event changes
 * them. `start` and `update` write the fields at `slots[at .. at + fields.length)`; the core
 * fields (`slots[at - 3 .. at)`: start, last, count) are already updated for the event.
 */
export interface SessionLayout {
  /** The layout's name, saved with the state (a state restores only into its own layout). */
  readonly name: string;
  /** The fields' names, in slot order. */
  readonly fields: readonly string[];
  /** Writes a new session's fields from its first event (every field: slots are reused). */
  start(slots: Float64Array, at: number, event: SessionEvent): void;
  /** Updates a live session's fields with its next event. */
  update(slots: Float64Array, at: number, event: SessionEvent): void;
}

/** A layout with no fields of its own: the core fields only. */
export const CORE_LAYOUT: SessionLayout = Object.freeze({
  name: "core",
  fields: Object.freeze([]) as readonly string[],
  start() {},
  update() {},
});

/**
 * The fields of a version-1 state (before layouts): the core, then the `position` feature set's
 * 5-minute window. A version-1 state restores only into a layout of these fields.
 */
export const VERSION_1_FIELDS = [...CORE_FIELDS, "window", "window_count", "window_first"];

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

/** The plain, JSON-able form of a {@linkcode SessionStore} (see `toJSON`). */
export interface SessionStoreState {
  /** 2; version 1 had no layout (its fields: {@linkcode VERSION_1_FIELDS}). */
  version: 1 | 2;
  /** The layout's name and its fields (absent in version 1). */
  layout?: { name: string; fields: string[] };
  idleSeconds: number;
  maxSessions: number;
  /** Highest event time seen, or `null` before the first event. */
  watermark: number | null;
  /** Sessions expired by idleness so far. */
  expired: number;
  /** Sessions evicted by the cap so far. */
  evicted: number;
  /** Live session ids, least recently seen first. */
  ids: string[];
  /** `stride` numbers per id (core fields, then the layout's), same order. */
  fields: number[];
}

/**
 * A copy of one session's state, as returned by {@linkcode SessionStore.get}: the core fields
 * (`start`, `last`: first and latest event time; `count`: events so far) and the layout's, by
 * name.
 */
export type SessionView = Record<string, number>;

const NIL = -1;

/** The bounded session store. */
export class SessionStore {
  /** The per-session fields besides the core ones. */
  readonly layout: SessionLayout;
  /** Numbers per slot: the core fields, then the layout's. */
  readonly stride: number;
  #idle: number;
  #max: number;
  #index = new ByteKeyIndex();
  #ids: string[] = [];
  #fields: Float64Array;
  #prev: Int32Array;
  #next: Int32Array;
  #scratch = new Uint8Array(256); // a string id's bytes
  #head = NIL; // least recently seen
  #tail = NIL; // most recently seen
  #watermark = -Infinity;
  #expired = 0;
  #evicted = 0;
  // one-entry cache of the last lookup, so featurize-then-record costs one Map lookup
  #lastId: string | undefined = undefined;
  #lastSlot = NIL;
  // the byte key of the last lookupKey and its slot, until the next change of the store
  #keyBytes: Uint8Array | null = null;
  #keyStart = 0;
  #keyLength = 0;
  #keyHash = 0;
  #keySlot = NIL;

  /** @param options see {@linkcode SessionStoreInit} */
  constructor(options: SessionStoreInit = {}) {
    this.layout = options.layout ?? CORE_LAYOUT;
    this.stride = CORE + this.layout.fields.length;
    this.#idle = options.idleSeconds ?? 1800;
    this.#max = options.maxSessions ?? 100_000;
    if (!(this.#idle > 0)) {
      throw new RangeError(
        `Cannot create a SessionStore with idleSeconds ${this.#idle}: expected a positive number.`,
      );
    }
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(
        `Cannot create a SessionStore with maxSessions ${this.#max}: expected a positive integer.`,
      );
    }
    const cap = Math.min(this.#max + 1, 1024);
    this.#fields = new Float64Array(cap * this.stride);
    this.#prev = new Int32Array(cap);
    this.#next = new Int32Array(cap);
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

  /** The idle timeout, seconds. */
  get idleSeconds(): number {
    return this.#idle;
  }

  /** The hard cap on live sessions. */
  get maxSessions(): number {
    return this.#max;
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
    return this.#live(this.#findKey(bytes, start, length, hash), time);
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
   * Whether the key of `slot` is `bytes[start ..]` (of its length): the cache of `#findKey`
   * checks the bytes, so a caller that changed them since its lookup never gets another slot.
   */
  #sameKey(slot: number, bytes: Uint8Array, start: number): boolean {
    const index = this.#index, arena = index.arena;
    const o = index.keyOffset(slot), n = index.keyLength(slot);
    for (let k = 0; k < n; k++) if (arena[o + k] !== bytes[start + k]) return false;
    return true;
  }

  #findKey(bytes: Uint8Array, start: number, length: number, hash: number): number {
    if (
      bytes === this.#keyBytes && start === this.#keyStart && length === this.#keyLength &&
      hash === this.#keyHash && this.#keySlot !== NIL && this.#sameKey(this.#keySlot, bytes, start)
    ) return this.#keySlot; // (a miss is looked up again: it costs one lookup per new session)
    const slot = this.#index.lookup(bytes, start, length, hash);
    this.#keyBytes = bytes;
    this.#keyStart = start;
    this.#keyLength = length;
    this.#keyHash = hash;
    this.#keySlot = slot;
    return slot;
  }

  /** Raw slot storage for the featurizer: {@linkcode SessionStore.stride} numbers per slot. */
  get slots(): Float64Array {
    return this.#fields;
  }

  /** A copy of a live session's state (for tests and inspection), or `undefined`. */
  get(id: string): SessionView | undefined {
    const length = this.#encode(id);
    const slot = this.#index.lookup(this.#scratch, 0, length, fnv1a32(this.#scratch, 0, length));
    if (slot === NIL) return undefined;
    const o = slot * this.stride;
    const f = this.#fields;
    const view: SessionView = {
      start: f[o + F_START],
      last: f[o + F_LAST],
      count: f[o + F_COUNT],
    };
    this.layout.fields.forEach((name, j) => view[name] = f[o + CORE + j]);
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
   * {@linkcode SessionStore.lookupKey}). Reads `event.session_id` only when the session is new
   * (to keep the id's string for `toJSON`); allocates nothing else but a new session's key.
   * Returns the session's id as the store keeps it (the string read once, on its first event).
   */
  recordKey(
    bytes: Uint8Array,
    start: number,
    length: number,
    hash: number,
    event: SessionEvent,
  ): string {
    return this.#record(
      this.#findKey(bytes, start, length, hash),
      bytes,
      start,
      length,
      hash,
      event,
    );
  }

  /**
   * Records `event` in the session of `found` (its slot, live or stale, or NIL) or a new one;
   * returns the session's id (as kept since its first event).
   */
  #record(
    found: number,
    bytes: Uint8Array,
    start: number,
    length: number,
    hash: number,
    event: SessionEvent,
  ): string {
    const time = event.timestamp;
    let slot = this.#live(found, time);
    const f = this.#fields;
    if (slot === NIL) {
      if (found !== NIL) {
        this.#remove(found);
        this.#expired++;
      }
      slot = this.#allocate(event.session_id, bytes, start, length, hash);
      const o = slot * this.stride;
      const fields = this.#fields; // #allocate may have grown the storage
      fields[o + F_START] = time;
      fields[o + F_LAST] = time;
      fields[o + F_COUNT] = 1;
      this.layout.start(fields, o + CORE, event);
    } else {
      const o = slot * this.stride;
      if (time > f[o + F_LAST]) f[o + F_LAST] = time;
      f[o + F_COUNT]++;
      this.layout.update(f, o + CORE, event);
      this.#touch(slot);
    }
    if (time > this.#watermark) this.#watermark = time;
    const id = this.#ids[slot]; // before the sweep, which may remove the session at once
    this.#sweep();
    this.#keyBytes = null;
    return id;
  }

  /** The plain JSON-able state, sessions least recently seen first. */
  toJSON(): SessionStoreState {
    const ids: string[] = [];
    const fields: number[] = [];
    const stride = this.stride;
    for (let s = this.#head; s !== NIL; s = this.#next[s]) {
      ids.push(this.#ids[s]);
      const o = s * stride;
      for (let j = 0; j < stride; j++) fields.push(this.#fields[o + j]);
    }
    return {
      version: 2,
      layout: { name: this.layout.name, fields: [...this.layout.fields] },
      idleSeconds: this.#idle,
      maxSessions: this.#max,
      watermark: Number.isFinite(this.#watermark) ? this.#watermark : null,
      expired: this.#expired,
      evicted: this.#evicted,
      ids,
      fields,
    };
  }

  /**
   * Restores a store of `layout` (default {@linkcode CORE_LAYOUT}) from
   * {@linkcode SessionStore.toJSON}'s output. A version-1 state (no layout) restores into a
   * layout whose fields are the 5-minute window's ({@linkcode VERSION_1_FIELDS}).
   *
   * @throws {TypeError} if the state is malformed or of another layout
   */
  static fromJSON(state: SessionStoreState, layout: SessionLayout = CORE_LAYOUT): SessionStore {
    if (
      state === null || typeof state !== "object" || (state.version !== 1 && state.version !== 2) ||
      !Array.isArray(state.ids) || !Array.isArray(state.fields)
    ) {
      throw new TypeError(
        "Cannot restore a SessionStore: the state is not a version-1 or -2 SessionStore state.",
      );
    }
    const want = [...CORE_FIELDS, ...layout.fields];
    const saved = state.version === 1
      ? { name: "version 1", fields: VERSION_1_FIELDS }
      : { name: state.layout?.name, fields: [...CORE_FIELDS, ...(state.layout?.fields ?? [])] };
    if (
      (state.version === 2 && saved.name !== layout.name) || saved.fields.join() !== want.join()
    ) {
      throw new TypeError(
        `Cannot restore a SessionStore: the state's sessions are of layout ${
          JSON.stringify(saved.name)
        } (fields ${saved.fields.join(", ")}), not ${JSON.stringify(layout.name)} (fields ${
          want.join(", ")
        }).`,
      );
    }
    const stride = want.length;
    if (state.fields.length !== state.ids.length * stride) {
      throw new TypeError(
        `Cannot restore a SessionStore: ${state.fields.length} numbers for ${state.ids.length} sessions of ${stride} fields.`,
      );
    }
    const store = new SessionStore({
      idleSeconds: state.idleSeconds,
      maxSessions: state.maxSessions,
      layout,
    });
    for (let i = 0; i < state.ids.length; i++) {
      const id = state.ids[i];
      if (typeof id !== "string") {
        throw new TypeError(
          `Cannot restore a SessionStore: session id ${
            JSON.stringify(id)
          } (at ${i}) is not a string.`,
        );
      }
      const length = store.#encode(id);
      const bytes = store.#scratch;
      const hash = fnv1a32(bytes, 0, length);
      if (store.#index.lookup(bytes, 0, length, hash) !== NIL) {
        throw new TypeError(
          `Cannot restore a SessionStore: session id ${JSON.stringify(id)} appears twice.`,
        );
      }
      const slot = store.#allocate(id, bytes, 0, length, hash);
      for (let j = 0; j < stride; j++) {
        store.#fields[slot * stride + j] = state.fields[i * stride + j];
      }
    }
    store.#watermark = state.watermark ?? -Infinity;
    store.#expired = state.expired;
    store.#evicted = state.evicted;
    return store;
  }

  #allocate(id: string, bytes: Uint8Array, start: number, length: number, hash: number): number {
    // The index hands out the most recently freed slot, else the next unused one.
    const slot = this.#index.insert(bytes, start, length, hash);
    while (slot >= this.#prev.length) this.#grow();
    this.#ids[slot] = id;
    if (id === this.#lastId) this.#lastSlot = slot;
    this.#prev[slot] = this.#tail;
    this.#next[slot] = NIL;
    if (this.#tail !== NIL) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
    return slot;
  }

  #grow(): void {
    const cap = Math.max(Math.min(this.#prev.length * 2, this.#max + 1), this.#prev.length + 1);
    const fields = new Float64Array(cap * this.stride);
    fields.set(this.#fields);
    this.#fields = fields;
    const prev = new Int32Array(cap);
    prev.set(this.#prev);
    this.#prev = prev;
    const next = new Int32Array(cap);
    next.set(this.#next);
    this.#next = next;
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot], n = this.#next[slot];
    if (p !== NIL) this.#next[p] = n;
    else this.#head = n;
    if (n !== NIL) this.#prev[n] = p;
    else this.#tail = p;
  }

  #touch(slot: number): void {
    if (slot === this.#tail) return;
    this.#unlink(slot);
    this.#prev[slot] = this.#tail;
    this.#next[slot] = NIL;
    this.#next[this.#tail] = slot;
    this.#tail = slot;
  }

  #remove(slot: number): void {
    if (slot === this.#lastSlot) this.#lastId = undefined;
    this.#keyBytes = null;
    this.#unlink(slot);
    this.#index.delete(slot);
    this.#ids[slot] = "";
  }

  #sweep(): void {
    const limit = this.#watermark - this.#idle;
    while (this.#head !== NIL && this.#fields[this.#head * this.stride + F_LAST] < limit) {
      this.#remove(this.#head);
      this.#expired++;
    }
    while (this.#index.size > this.#max) {
      this.#remove(this.#head);
      this.#evicted++;
    }
  }
}
