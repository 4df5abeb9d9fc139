/**
 * The funnel generator's open sessions: a growable table of per-session state in typed arrays
 * (one slot per open session, slots reused after a session leaves) and a binary min-heap of the
 * slots keyed by the time of each session's next event. No allocation per event except a new
 * session's id string; the table doubles when full.
 *
 * @module
 */

/** The open sessions, by slot. Fields are public typed arrays, replaced when the table grows. */
export class OpenSessions {
  /** Session id. */
  ids: string[] = [];
  /** User id. */
  user = new Int32Array(0);
  /** Page class of the last event. */
  page = new Int8Array(0);
  /** Page class of the next event. */
  nextPage = new Int8Array(0);
  /** The last product viewed, 0 for none. */
  product = new Int32Array(0);
  /** The last category viewed, 0 for none. */
  category = new Int32Array(0);
  /** Events so far. */
  count = new Int32Array(0);
  /** Timestamp of the first event. */
  first = new Float64Array(0);
  /** Timestamp of the last event. */
  last = new Float64Array(0);
  /** Simulated time of the last event (fractional seconds). */
  lastTime = new Float64Array(0);
  /** Earlier events by action, 4 per slot (order of `ACTIONS`). */
  counts = new Float64Array(0);
  /** Sum of the amounts bought. */
  spend = new Float64Array(0);
  /** The cart's value. */
  cart = new Float64Array(0);
  /** Simulated time of the next event: the heap's key. */
  due = new Float64Array(0);
  #heap = new Int32Array(0);
  #size = 0;
  #free: number[] = [];
  #capacity = 0;

  /**
   * Creates an empty table.
   *
   * @param capacity Initial slots (the table doubles when full), a positive integer; `64` when
   * not given.
   * @throws {RangeError} when `capacity` is not a positive integer
   */
  constructor(capacity = 64) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create OpenSessions with capacity ${capacity}: expected a positive integer.`,
      );
    }
    this.#grow(capacity);
  }

  /** Sessions in the heap (scheduled). */
  get size(): number {
    return this.#size;
  }

  /** Slots in the table. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The slot due first, or `-1` when none is scheduled. */
  top(): number {
    return this.#size > 0 ? this.#heap[0] : -1;
  }

  /** A free slot, its fields zeroed (not scheduled yet). */
  allocate(): number {
    if (this.#free.length === 0) this.#grow(this.#capacity * 2);
    const slot = this.#free.pop()!;
    this.ids[slot] = "";
    this.user[slot] = 0;
    this.page[slot] = 0;
    this.nextPage[slot] = 0;
    this.product[slot] = 0;
    this.category[slot] = 0;
    this.count[slot] = 0;
    this.first[slot] = 0;
    this.last[slot] = 0;
    this.lastTime[slot] = 0;
    this.counts.fill(0, slot * 4, slot * 4 + 4);
    this.spend[slot] = 0;
    this.cart[slot] = 0;
    this.due[slot] = 0;
    return slot;
  }

  /** Returns an unscheduled slot to the free list. */
  release(slot: number): void {
    this.ids[slot] = "";
    this.#free.push(slot);
  }

  /** Schedules `slot` at `due[slot]`. */
  push(slot: number): void {
    const heap = this.#heap, due = this.due;
    let i = this.#size++;
    const key = due[slot];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (due[heap[parent]] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
  }

  /** Unschedules the slot due first and returns it. */
  pop(): number {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap[--this.#size];
    if (this.#size > 0) {
      heap[0] = last;
      this.#siftDown();
    }
    return top;
  }

  /** Restores the order after `due[top()]` was moved later. */
  rescheduledTop(): void {
    this.#siftDown();
  }

  #siftDown(): void {
    const heap = this.#heap, due = this.due, n = this.#size;
    const slot = heap[0];
    const key = due[slot];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && due[heap[c + 1]] < due[heap[c]]) c++;
      if (due[heap[c]] >= key) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = slot;
  }

  #grow(capacity: number): void {
    const old = this.#capacity;
    const f64 = (a: Float64Array, n = 1) => {
      const b = new Float64Array(capacity * n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    const i8 = (a: Int8Array) => {
      const b = new Int8Array(capacity);
      b.set(a);
      return b;
    };
    this.#heap = i32(this.#heap);
    this.user = i32(this.user);
    this.page = i8(this.page);
    this.nextPage = i8(this.nextPage);
    this.product = i32(this.product);
    this.category = i32(this.category);
    this.count = i32(this.count);
    this.first = f64(this.first);
    this.last = f64(this.last);
    this.lastTime = f64(this.lastTime);
    this.counts = f64(this.counts, 4);
    this.spend = f64(this.spend);
    this.cart = f64(this.cart);
    this.due = f64(this.due);
    for (let s = capacity - 1; s >= old; s--) {
      this.ids[s] = "";
      this.#free.push(s);
    }
    this.#capacity = capacity;
  }
}
