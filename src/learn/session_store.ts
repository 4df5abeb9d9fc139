/**
 * The bounded, serializable per-session state that point-in-time features are computed from.
 * For each live `session_id` it keeps what was known after that session's last event: first and
 * last event time, event count, and the current 5-minute tumbling event-time window (its id, its
 * event count and its first event time).
 *
 * Bounded two ways, both deterministic functions of the input order (never of batch boundaries
 * or wall time): a session idle for more than `idleSeconds` of *event time* is expired (checked
 * against the highest timestamp seen, the watermark, and also when its next event arrives), and
 * when more than `maxSessions` are live the least recently seen one is evicted (LRU).
 *
 * Storage is a slot array (`Float64Array`, {@linkcode SESSION_FIELDS} values per slot) threaded
 * on an intrusive doubly linked recency list, plus a `Map` from id to slot: no allocation per
 * event except for a new session's map entry. {@linkcode SessionStore.toJSON} gives a plain
 * JSON-able object (sessions in recency order) that {@linkcode SessionStore.fromJSON} restores
 * exactly.
 *
 * @module
 */

/** Length of the tumbling event-time window of `clicks_in_session` / `time_on_page`, seconds. */
export const WINDOW_SECONDS = 300;

/** Per-slot fields, in order. */
export const SESSION_FIELDS = [
  "start",
  "last",
  "count",
  "window",
  "window_count",
  "window_first",
] as const;
const STRIDE = SESSION_FIELDS.length;
const F_START = 0, F_LAST = 1, F_COUNT = 2, F_WINDOW = 3, F_WCOUNT = 4, F_WFIRST = 5;

/** Options of {@linkcode SessionStore}. */
export interface SessionStoreOptions {
  /** Event-time idleness after which a session is forgotten, seconds. Default `1800` (30 min). */
  idleSeconds?: number;
  /** Hard cap on live sessions; the least recently seen is evicted beyond it. Default `100000`. */
  maxSessions?: number;
}

/** The plain, JSON-able form of a {@linkcode SessionStore} (see `toJSON`). */
export interface SessionStoreState {
  version: 1;
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
  /** `SESSION_FIELDS.length` numbers per id, same order. */
  fields: number[];
}

/** A read-only view of one session's state, as returned by {@linkcode SessionStore.get}. */
export interface SessionView {
  /** Time of the session's first event, epoch seconds. */
  start: number;
  /** Time of its latest event. */
  last: number;
  /** Events seen so far. */
  count: number;
  /** Id of the current tumbling window: `floor(time / WINDOW_SECONDS)`. */
  window: number;
  /** Events seen in the current window. */
  windowCount: number;
  /** Time of the first event in the current window. */
  windowFirst: number;
}

const NIL = -1;

/** The bounded session store. */
export class SessionStore {
  #idle: number;
  #max: number;
  #index = new Map<string, number>();
  #ids: string[] = [];
  #fields: Float64Array;
  #prev: Int32Array;
  #next: Int32Array;
  #free: number[] = [];
  #used = 0; // slots ever handed out
  #head = NIL; // least recently seen
  #tail = NIL; // most recently seen
  #watermark = -Infinity;
  #expired = 0;
  #evicted = 0;
  // one-entry cache of the last lookup, so featurize-then-record costs one Map lookup
  #lastId: string | undefined = undefined;
  #lastSlot = NIL;

  /** @param options see {@linkcode SessionStoreOptions} */
  constructor(options: SessionStoreOptions = {}) {
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
    this.#fields = new Float64Array(cap * STRIDE);
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
    const slot = this.#find(id);
    if (slot === NIL) return NIL;
    if (time - this.#fields[slot * STRIDE + F_LAST] > this.#idle) return NIL;
    return slot;
  }

  #find(id: string): number {
    if (id === this.#lastId) return this.#lastSlot;
    const slot = this.#index.get(id) ?? NIL;
    this.#lastId = id;
    this.#lastSlot = slot;
    return slot;
  }

  /** Raw slot storage for the featurizer: `SESSION_FIELDS.length` numbers per slot. */
  get slots(): Float64Array {
    return this.#fields;
  }

  /** A copy of a live session's state (for tests and inspection), or `undefined`. */
  get(id: string): SessionView | undefined {
    const slot = this.#index.get(id);
    if (slot === undefined) return undefined;
    const o = slot * STRIDE;
    const f = this.#fields;
    return {
      start: f[o + F_START],
      last: f[o + F_LAST],
      count: f[o + F_COUNT],
      window: f[o + F_WINDOW],
      windowCount: f[o + F_WCOUNT],
      windowFirst: f[o + F_WFIRST],
    };
  }

  /**
   * Records an event of session `id` at event time `time` (epoch seconds): it becomes the most
   * recently seen session, then idle sessions are expired and the cap enforced.
   */
  record(id: string, time: number): void {
    let slot = this.lookup(id, time);
    const f = this.#fields;
    const w = Math.floor(time / WINDOW_SECONDS);
    if (slot === NIL) {
      const stale = this.#find(id);
      if (stale !== NIL) {
        this.#remove(stale);
        this.#expired++;
      }
      slot = this.#allocate(id);
      const o = slot * STRIDE;
      const g = this.#fields; // #allocate may have grown (replaced) the storage
      g[o + F_START] = time;
      g[o + F_LAST] = time;
      g[o + F_COUNT] = 1;
      g[o + F_WINDOW] = w;
      g[o + F_WCOUNT] = 1;
      g[o + F_WFIRST] = time;
    } else {
      const o = slot * STRIDE;
      if (time > f[o + F_LAST]) f[o + F_LAST] = time;
      f[o + F_COUNT]++;
      const cw = f[o + F_WINDOW];
      if (w === cw) {
        f[o + F_WCOUNT]++;
        if (time < f[o + F_WFIRST]) f[o + F_WFIRST] = time;
      } else if (w > cw) {
        f[o + F_WINDOW] = w;
        f[o + F_WCOUNT] = 1;
        f[o + F_WFIRST] = time;
      } // a late event of an earlier window leaves the current window alone
      this.#touch(slot);
    }
    if (time > this.#watermark) this.#watermark = time;
    this.#sweep();
  }

  /** The plain JSON-able state, sessions least recently seen first. */
  toJSON(): SessionStoreState {
    const ids: string[] = [];
    const fields: number[] = [];
    for (let s = this.#head; s !== NIL; s = this.#next[s]) {
      ids.push(this.#ids[s]);
      const o = s * STRIDE;
      for (let j = 0; j < STRIDE; j++) fields.push(this.#fields[o + j]);
    }
    return {
      version: 1,
      idleSeconds: this.#idle,
      maxSessions: this.#max,
      watermark: Number.isFinite(this.#watermark) ? this.#watermark : null,
      expired: this.#expired,
      evicted: this.#evicted,
      ids,
      fields,
    };
  }

  /** Restores a store from {@linkcode SessionStore.toJSON}'s output. */
  static fromJSON(state: SessionStoreState): SessionStore {
    if (
      state === null || typeof state !== "object" || state.version !== 1 ||
      !Array.isArray(state.ids) || !Array.isArray(state.fields) ||
      state.fields.length !== state.ids.length * STRIDE
    ) {
      throw new TypeError(
        "Cannot restore a SessionStore: the state is not a version-1 SessionStore state.",
      );
    }
    const store = new SessionStore({
      idleSeconds: state.idleSeconds,
      maxSessions: state.maxSessions,
    });
    for (let i = 0; i < state.ids.length; i++) {
      const slot = store.#allocate(state.ids[i]);
      for (let j = 0; j < STRIDE; j++) {
        store.#fields[slot * STRIDE + j] = state.fields[i * STRIDE + j];
      }
    }
    store.#watermark = state.watermark ?? -Infinity;
    store.#expired = state.expired;
    store.#evicted = state.evicted;
    return store;
  }

  #allocate(id: string): number {
    let slot: number;
    if (this.#free.length > 0) {
      slot = this.#free.pop()!;
    } else {
      slot = this.#used++;
      if (slot >= this.#prev.length) this.#grow();
    }
    this.#ids[slot] = id;
    this.#index.set(id, slot);
    if (id === this.#lastId) this.#lastSlot = slot;
    this.#prev[slot] = this.#tail;
    this.#next[slot] = NIL;
    if (this.#tail !== NIL) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
    return slot;
  }

  #grow(): void {
    const cap = Math.min(this.#prev.length * 2, this.#max + 1);
    const fields = new Float64Array(cap * STRIDE);
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
    this.#unlink(slot);
    this.#index.delete(this.#ids[slot]);
    this.#ids[slot] = "";
    this.#free.push(slot);
  }

  #sweep(): void {
    const limit = this.#watermark - this.#idle;
    while (this.#head !== NIL && this.#fields[this.#head * STRIDE + F_LAST] < limit) {
      this.#remove(this.#head);
      this.#expired++;
    }
    while (this.#index.size > this.#max) {
      this.#remove(this.#head);
      this.#evicted++;
    }
  }
}
