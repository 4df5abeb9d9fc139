/**
 * The reference for `tests/stream/purchases_test.ts`: `src/stream/purchases.ts` as it was before
 * its per-purchase fast path (an index of its own over the users' slots, a row per slot for the
 * ranking's members, `addAt`), kept verbatim so that the tests can hold the new one to it.
 *
 * The original's `aggregate_purchases`: per user, the number of purchases and the sum of their
 * amounts, kept across batches. Bounded: past `maxUsers` users, the user with the smallest total
 * is evicted when a new one arrives (the top of the table, which is what is served, is exact as
 * long as evicted users' totals stay below it). Serializable for the checkpoint.
 *
 * @module
 */

import type { PurchaserView } from "../../src/stream/snapshot.ts";

/** Options of {@linkcode PurchaseAggregate}. */
interface PurchaseAggregateOptions {
  /** Most users tracked. Default `200_000` (the generator has 100,000). */
  maxUsers?: number;
}

/** Per-user purchase count and amount. */
export class ReferencePurchaseAggregate {
  /**
   * Each user's slot in `#countOf` and `#amountOf`, in the order users came (the order of
   * {@linkcode toJSON} and of the ranking's ties): one lookup per purchase instead of four.
   */
  #slot = new Map<number, number>();
  #countOf = new Float64Array(1024);
  #amountOf = new Float64Array(1024);
  /** Slots of evicted users, for the next new ones. */
  #free: number[] = [];
  #maxUsers: number;
  /**
   * The top `#capacity` users, kept up to date by {@linkcode add} (`#tracked`), best first, with
   * each one's row in `#member`. `#tracked` false: ranked again from every user at the next
   * {@linkcode top}.
   */
  #top: PurchaserView[] = [];
  #member = new Map<number, PurchaserView>();
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
    const slot = this.#slot.get(userId);
    let count: number, total: number;
    if (slot === undefined) {
      if (this.#slot.size >= this.#maxUsers) this.#evictSmallest();
      count = 1;
      total = amount;
      this.#put(userId, count, total);
    } else {
      count = this.#countOf[slot] + 1;
      total = this.#amountOf[slot] + amount;
      this.#countOf[slot] = count;
      this.#amountOf[slot] = total;
    }
    if (this.#tracked) this.#track(userId, count, Math.round(total * 100) / 100);
  }

  /**
   * Keeps the top `#capacity` exact after `userId`'s figures changed to `purchases` and `amount`
   * (rounded). A purchase only raises a user's rank (a larger count, an amount no smaller), so the
   * top set changes only by that user entering in place of the lowest-ranked one, and a row only
   * moves towards the front. A rank that fell (a negative or NaN amount) stops the tracking: the
   * next {@linkcode top} ranks every user again.
   */
  #track(userId: number, purchases: number, amount: number): void {
    const top = this.#top;
    const old = this.#member.get(userId);
    let at: number;
    if (old !== undefined) {
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
      this.#member.delete(top[at].userId);
    } else {
      return;
    }
    const row = frozenRow(userId, purchases, amount);
    // Shift the rows it now ranks before one place back, and put it in front of them.
    const to = firstNotBefore(top, row, at);
    for (let k = at; k > to; k--) top[k] = top[k - 1];
    top[to] = row;
    this.#member.set(userId, row);
    this.#ranked = null;
  }

  /** Gives a new user a slot holding `count` and `amount`. */
  #put(userId: number, count: number, amount: number): void {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#slot.size;
      if (slot === this.#countOf.length) {
        const counts = new Float64Array(2 * slot), amounts = new Float64Array(2 * slot);
        counts.set(this.#countOf), amounts.set(this.#amountOf);
        this.#countOf = counts, this.#amountOf = amounts;
      }
    }
    this.#slot.set(userId, slot);
    this.#countOf[slot] = count;
    this.#amountOf[slot] = amount;
  }

  #evictSmallest(): void {
    let victim = -1;
    let smallest = Infinity;
    const amounts = this.#amountOf;
    for (const [user, slot] of this.#slot) {
      const amount = amounts[slot];
      if (amount < smallest) {
        smallest = amount;
        victim = user;
      }
    }
    const slot = this.#slot.get(victim);
    if (slot !== undefined) {
      this.#slot.delete(victim);
      this.#free.push(slot);
    }
    if (this.#member.has(victim)) this.#tracked = false; // the top loses a row: rank again
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
    const counts = this.#countOf, amounts = this.#amountOf;
    for (const [userId, slot] of this.#slot) {
      const purchases = counts[slot];
      const amount = Math.round(amounts[slot] * 100) / 100;
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
    this.#member = new Map(heap.map((r) => [r.userId, r]));
    this.#capacity = n;
    this.#tracked = heap.every((r) => r.amount === r.amount); // a NaN amount: never tracked
    this.#ranked = null;
  }

  /** Forgets everything. */
  clear(): void {
    this.#slot.clear();
    this.#free = [];
    this.#forgetRanking();
  }

  #forgetRanking(): void {
    this.#top = [];
    this.#member = new Map();
    this.#capacity = 0;
    this.#tracked = false;
    this.#ranked = null;
  }

  /** A JSON-able copy of the state. */
  toJSON(): { users: number[]; counts: number[]; amounts: number[] } {
    return {
      users: [...this.#slot.keys()],
      counts: [...this.#slot.values()].map((slot) => this.#countOf[slot]),
      amounts: [...this.#slot.values()].map((slot) => this.#amountOf[slot]),
    };
  }

  /** Rebuilds an aggregate from {@linkcode toJSON}'s output. */
  static fromJSON(
    state: { users: number[]; counts: number[]; amounts: number[] },
    options: PurchaseAggregateOptions = {},
  ): ReferencePurchaseAggregate {
    const aggregate = new ReferencePurchaseAggregate(options);
    state.users.forEach((user, i) => {
      const slot = aggregate.#slot.get(user);
      if (slot === undefined) aggregate.#put(user, state.counts[i], state.amounts[i]);
      else aggregate.#countOf[slot] = state.counts[i], aggregate.#amountOf[slot] = state.amounts[i];
    });
    return aggregate;
  }
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
