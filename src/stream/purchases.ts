/**
 * The original's `aggregate_purchases`: per user, the number of purchases and the sum of their
 * amounts, kept across batches. Bounded: past `maxUsers` users, the user with the smallest total
 * is evicted when a new one arrives (the top of the table, which is what is served, is exact as
 * long as evicted users' totals stay below it). Serializable for the checkpoint.
 *
 * @module
 */

import type { PurchaserView } from "./snapshot.ts";

/** Options of {@linkcode PurchaseAggregate}. */
export interface PurchaseAggregateOptions {
  /** Most users tracked. Default `200_000` (the generator has 100,000). */
  maxUsers?: number;
}

/** Per-user purchase count and amount. */
export class PurchaseAggregate {
  /**
   * Each user's slot in `#data`, in the order users came (the order of {@linkcode toJSON}, of the
   * ranking's ties and of eviction's). A purchase finds its slot in `#index` instead (below): this
   * `Map` changes only when a user comes or goes.
   */
  #slot = new Map<number, number>();
  /**
   * Slot `s`'s figures side by side, one cache line for a purchase: its user's purchase count at
   * `4s`, amount at `4s + 1`, id at `4s + 2`, and at `4s + 3` 1 while the user is in `#top`
   * (its row in `#rowOf[s]`), else 0.
   */
  #data = new Float64Array(4 * 1024);
  /**
   * The slots by open addressing (linear probing) over the user ids (NaN left to `#slot`): an
   * entry is a slot + 1 (0: empty, -1: a user gone). A `Map` lookup per purchase (and one more
   * for the ranking's row) were half of a purchase's time.
   */
  #index = new Int32Array(2048);
  /** Entries of `#index` not empty (users and users gone). */
  #filled = 0;
  /** Each slot's row in `#top` while its user is in the ranking (`#data[4s + 3]` 1), else `null`. */
  #rowOf: (PurchaserView | null)[] = Array.from({ length: 1024 }, () => null);
  /** Slots of evicted users, for the next new ones. */
  #free: number[] = [];
  #maxUsers: number;
  /**
   * The top `#capacity` users, kept up to date by {@linkcode add} (`#tracked`), best first, with
   * each one's row in `#rowOf` too. `#tracked` false: ranked again from every user at the next
   * {@linkcode top}.
   */
  #top: PurchaserView[] = [];
  #capacity = 0;
  #tracked = false;
  /** The served ranking of `#top`, kept until it changes (snapshots ask for it per batch). */
  #ranked: readonly PurchaserView[] | null = null;

  /** Creates an empty aggregate. */
  constructor(options: PurchaseAggregateOptions = {}) {
    this.#maxUsers = options.maxUsers ?? 200_000;
    if (!(this.#maxUsers >= 1)) {
      throw new RangeError(
        `Cannot aggregate purchases: maxUsers must be ≥ 1, got ${this.#maxUsers}`,
      );
    }
  }

  /** Users tracked. */
  get size(): number {
    return this.#slot.size;
  }

  /** Records one purchase. */
  add(userId: number, amount: number): void {
    this.#add(userId, amount);
  }

  /**
   * {@linkcode add} of the purchase of user `userIds[i]` of amount `amounts[i]` (a batch's
   * columns, as the learn stage holds them): its numbers are read here, not boxed for the call.
   */
  addAt(userIds: Float64Array, amounts: Float64Array, i: number): void {
    this.#add(userIds[i], amounts[i]);
  }

  #add(userId: number, amount: number): void {
    let slot = this.#find(userId);
    if (slot < 0) {
      if (this.#slot.size >= this.#maxUsers) this.#evictSmallest();
      slot = this.#put(userId, 1, amount);
    } else {
      this.#data[4 * slot] += 1;
      this.#data[4 * slot + 1] += amount;
    }
    if (this.#tracked) this.#track(userId, slot);
  }

  /** `userId`'s slot, or -1. */
  #find(userId: number): number {
    if (byMap(userId)) return this.#slot.get(userId) ?? -1;
    const data = this.#data, index = this.#index, mask = index.length - 1;
    for (let h = hashOf(userId) & mask;; h = (h + 1) & mask) {
      const v = index[h];
      if (v === 0) return -1;
      if (v > 0 && data[4 * v - 2] === userId) return v - 1; // the id of slot v - 1
    }
  }

  /** Enters `userId`, not in `#index`, at `slot` (whose id is `userId` already). */
  #enter(userId: number, slot: number): void {
    if (byMap(userId)) return;
    if (2 * (this.#filled + 1) > this.#index.length) this.#reindex();
    const index = this.#index, mask = index.length - 1;
    let h = hashOf(userId) & mask;
    while (index[h] > 0) h = (h + 1) & mask;
    if (index[h] === 0) this.#filled++;
    index[h] = slot + 1;
  }

  /** Takes `userId`, in `#index`, out of it (before its slot changes hands). */
  #leave(userId: number): void {
    if (byMap(userId)) return;
    const data = this.#data, index = this.#index, mask = index.length - 1;
    let h = hashOf(userId) & mask;
    while (!(index[h] > 0 && data[4 * index[h] - 2] === userId)) h = (h + 1) & mask;
    index[h] = -1;
  }

  /** Builds `#index` again from `#slot`, at least 3 entries a user (users gone dropped). */
  #reindex(): void {
    let length = 2048;
    while (length < 3 * (this.#slot.size + 1)) length *= 2;
    this.#index = new Int32Array(length);
    this.#filled = 0;
    for (const [user, slot] of this.#slot) this.#enter(user, slot);
  }

  /** Puts `row` (or none) as slot `slot`'s row in `#top`. */
  #setRow(slot: number, row: PurchaserView | null): void {
    this.#rowOf[slot] = row;
    this.#data[4 * slot + 3] = row === null ? 0 : 1;
  }

  /** Every slot out of `#top`. */
  #clearRows(): void {
    this.#rowOf.fill(null);
    for (let k = 3; k < this.#data.length; k += 4) this.#data[k] = 0;
  }

  /**
   * Keeps the top `#capacity` exact after the figures of `userId` (at `slot`) changed. A purchase
   * only raises a user's rank (a larger count, an amount no smaller), so the top set changes only
   * by that user entering in place of the lowest-ranked one, and a row only moves towards the
   * front. A rank that fell (a negative or NaN amount) stops the tracking: the next
   * {@linkcode top} ranks every user again.
   */
  #track(userId: number, slot: number): void {
    const top = this.#top, data = this.#data;
    const purchases = data[4 * slot];
    const amount = Math.round(data[4 * slot + 1] * 100) / 100;
    const old = data[4 * slot + 3] === 1 ? this.#rowOf[slot] : null;
    let at: number;
    if (old !== null) {
      if (!(amount >= old.amount)) {
        this.#tracked = false;
        return;
      }
      at = firstNotBefore(top, old, top.length); // its index: ranks are a strict order
    } else if (amount !== amount) { // NaN ranks against nothing: rank every user again
      this.#tracked = false;
      return;
    } else if (top.length < this.#capacity) { // every user is in the ranking
      at = top.length;
    } else if (top.length > 0 && ranksBefore(amount, purchases, userId, top[top.length - 1])) {
      at = top.length - 1;
      this.#setRow(this.#find(top[at].userId), null);
    } else {
      return;
    }
    const row = frozenRow(userId, purchases, amount);
    // Shift the rows it now ranks before one place back, and put it in front of them.
    const to = firstNotBefore(top, row, at);
    for (let k = at; k > to; k--) top[k] = top[k - 1];
    top[to] = row;
    this.#setRow(slot, row);
    this.#ranked = null;
  }

  /** Gives a new user a slot holding `count` and `amount`; returns the slot. */
  #put(userId: number, count: number, amount: number): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#slot.size;
      if (4 * slot === this.#data.length) {
        const data = new Float64Array(8 * slot);
        data.set(this.#data);
        this.#data = data;
        for (let k = slot; k < 2 * slot; k++) this.#rowOf.push(null);
      }
    }
    const data = this.#data;
    data[4 * slot] = count;
    data[4 * slot + 1] = amount;
    data[4 * slot + 2] = userId;
    data[4 * slot + 3] = 0;
    this.#rowOf[slot] = null;
    this.#enter(userId, slot); // before `#slot` has it: a `#reindex` there would enter it too
    this.#slot.set(userId, slot);
    return slot;
  }

  #evictSmallest(): void {
    let victim = -1;
    let smallest = Infinity;
    const data = this.#data;
    for (const [user, slot] of this.#slot) {
      const amount = data[4 * slot + 1];
      if (amount < smallest) {
        smallest = amount;
        victim = user;
      }
    }
    const slot = this.#slot.get(victim);
    if (slot !== undefined) {
      this.#slot.delete(victim);
      this.#leave(victim);
      this.#free.push(slot);
      if (this.#data[4 * slot + 3] === 1) this.#tracked = false; // the top loses a row: rank again
      this.#setRow(slot, null);
    }
  }

  /**
   * The top `n` users by amount (rounded to cents; ties by count, then by user id). The first call
   * (and one for a larger `n`, or after a fall in rank) ranks every user with a bounded heap,
   * O(users · log n); from then on {@linkcode add} keeps that ranking of the top `n` exact and in
   * order (a binary search and a shift of the rows it passes, per purchase of a user in or entering
   * it), and a call copies its `n` rows when they changed — the trainer asks for the
   * top 1000 after every batch, and ranking all 100,000 users each time cost 4% of `learn`'s main
   * thread. The rows are frozen objects, never changed afterwards (a served snapshot keeps them),
   * made when a user's figures change: a call copies none of them. (The heap is the few lines
   * below rather than an npm heap: it needs this ranking and nothing else.)
   */
  top(n: number): PurchaserView[] {
    if (n < 1) return [];
    if (!this.#tracked || n > this.#capacity) this.#rank(n);
    this.#ranked ??= this.#top.slice();
    return this.#ranked.slice(0, n);
  }

  /** Ranks every user into the heap of the top `n`. */
  #rank(n: number): void {
    const heap: PurchaserView[] = []; // the worst of the best n at heap[0]
    const position = new Map<number, number>();
    const data = this.#data;
    for (const [userId, slot] of this.#slot) {
      const purchases = data[4 * slot];
      const amount = Math.round(data[4 * slot + 1] * 100) / 100;
      if (heap.length < n) {
        heap.push(frozenRow(userId, purchases, amount));
        position.set(userId, heap.length - 1);
        siftUp(heap, heap.length - 1, position);
      } else if (ranksBefore(amount, purchases, userId, heap[0])) {
        position.delete(heap[0].userId);
        heap[0] = frozenRow(userId, purchases, amount);
        position.set(userId, 0);
        siftDown(heap, 0, position);
      }
    }
    heap.sort(order); // user ids differ: no two rows tie
    this.#top = heap;
    this.#clearRows();
    for (const row of heap) this.#setRow(this.#find(row.userId), row);
    this.#capacity = n;
    this.#tracked = heap.every((r) => r.amount === r.amount); // a NaN amount: never tracked
    this.#ranked = null;
  }

  /** Forgets everything. */
  clear(): void {
    this.#slot.clear();
    this.#index.fill(0);
    this.#filled = 0;
    this.#free = [];
    this.#forgetRanking();
  }

  #forgetRanking(): void {
    this.#top = [];
    this.#clearRows();
    this.#capacity = 0;
    this.#tracked = false;
    this.#ranked = null;
  }

  /** A JSON-able copy of the state. */
  toJSON(): { users: number[]; counts: number[]; amounts: number[] } {
    return {
      users: [...this.#slot.keys()],
      counts: [...this.#slot.values()].map((slot) => this.#data[4 * slot]),
      amounts: [...this.#slot.values()].map((slot) => this.#data[4 * slot + 1]),
    };
  }

  /** Rebuilds an aggregate from {@linkcode toJSON}'s output. */
  static fromJSON(
    state: { users: number[]; counts: number[]; amounts: number[] },
    options: PurchaseAggregateOptions = {},
  ): PurchaseAggregate {
    const aggregate = new PurchaseAggregate(options);
    state.users.forEach((user, i) => {
      const slot = aggregate.#find(user);
      if (slot < 0) aggregate.#put(user, state.counts[i], state.amounts[i]);
      else {
        aggregate.#data[4 * slot] = state.counts[i];
        aggregate.#data[4 * slot + 1] = state.amounts[i];
      }
    });
    return aggregate;
  }
}

/**
 * Whether `#index` leaves `userId` to `#slot`: anything not a whole number — NaN, ±∞, a fraction
 * (`hashOf` would put every fraction of one integer interval in one chain), and anything not a
 * number (a NaN id comes back from a JSON state as `null`) — which the `Map` tells apart. Event
 * user ids are whole (the schema's `user_id`); only a hand-made state holds others.
 */
const byMap = (userId: number) => !Number.isInteger(userId);

/** The hash of a user id (not NaN; -0 as 0) for `#index`: its two 32-bit halves mixed. */
function hashOf(userId: number): number {
  const h = Math.imul((userId | 0) ^ ((userId / 4294967296) | 0), 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** Whether a user with these figures ranks before `row`. */
function ranksBefore(
  amount: number,
  purchases: number,
  userId: number,
  row: PurchaserView,
): boolean {
  if (amount !== row.amount) return amount > row.amount;
  if (purchases !== row.purchases) return purchases > row.purchases;
  return userId < row.userId;
}

const before = (a: PurchaserView, b: PurchaserView) =>
  ranksBefore(a.amount, a.purchases, a.userId, b);

const order = (a: PurchaserView, b: PurchaserView) => before(a, b) ? -1 : 1;

/** A ranking's row: frozen when made (a served snapshot keeps it), never changed afterwards. */
const frozenRow = (userId: number, purchases: number, amount: number): PurchaserView =>
  Object.freeze({ userId, purchases, amount });

/** The first index `k < end` of the ranking `top` whose row `row` does not rank after, else `end`. */
function firstNotBefore(top: readonly PurchaserView[], row: PurchaserView, end: number): number {
  let lo = 0, hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(top[mid], row)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Min-heap by rank (the lowest-ranked row at the root); `position` follows each user's index. */
function siftUp(heap: PurchaserView[], i: number, position: Map<number, number>): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[parent], heap[i])) return;
    swap(heap, parent, i, position);
    i = parent;
  }
}

function siftDown(heap: PurchaserView[], i: number, position: Map<number, number>): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < heap.length && before(heap[worst], heap[l])) worst = l;
    if (r < heap.length && before(heap[worst], heap[r])) worst = r;
    if (worst === i) return;
    swap(heap, worst, i, position);
    i = worst;
  }
}

function swap(heap: PurchaserView[], i: number, j: number, position: Map<number, number>): void {
  [heap[i], heap[j]] = [heap[j], heap[i]];
  position.set(heap[i].userId, i);
  position.set(heap[j].userId, j);
}
