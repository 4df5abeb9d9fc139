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
  #counts = new Map<number, number>();
  #amounts = new Map<number, number>();
  #maxUsers: number;
  /** The last top-n ranking, kept until the next change (snapshots ask for it per batch). */
  #ranked: PurchaserView[] | null = null;

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
    return this.#counts.size;
  }

  /** Records one purchase. */
  add(userId: number, amount: number): void {
    this.#ranked = null;
    const count = this.#counts.get(userId);
    if (count === undefined) {
      if (this.#counts.size >= this.#maxUsers) this.#evictSmallest();
      this.#counts.set(userId, 1);
      this.#amounts.set(userId, amount);
    } else {
      this.#counts.set(userId, count + 1);
      this.#amounts.set(userId, this.#amounts.get(userId)! + amount);
    }
  }

  #evictSmallest(): void {
    let victim = -1;
    let smallest = Infinity;
    for (const [user, amount] of this.#amounts) {
      if (amount < smallest) {
        smallest = amount;
        victim = user;
      }
    }
    this.#counts.delete(victim);
    this.#amounts.delete(victim);
  }

  /**
   * The top `n` users by amount (rounded to cents; ties by count, then by user id). A bounded
   * heap over the users: O(users · log n) with `n` rows allocated, since the trainer asks for
   * the top 1000 after every batch and a full sort of every user cost a few percent of it. (The
   * heap is the few lines below rather than an npm heap: it needs this ranking and nothing else.)
   */
  top(n: number): PurchaserView[] {
    if (this.#ranked !== null && this.#ranked.length >= Math.min(n, this.#counts.size)) {
      return this.#ranked.slice(0, n);
    }
    const heap: PurchaserView[] = []; // the worst of the best n at heap[0]
    if (n >= 1) {
      for (const [userId, purchases] of this.#counts) {
        const amount = Math.round(this.#amounts.get(userId)! * 100) / 100;
        if (heap.length < n) {
          heap.push({ userId, purchases, amount });
          siftUp(heap, heap.length - 1);
        } else if (ranksBefore(amount, purchases, userId, heap[0])) {
          heap[0] = { userId, purchases, amount };
          siftDown(heap, 0);
        }
      }
    }
    heap.sort((a, b) => before(a, b) ? -1 : 1); // user ids differ: no two rows tie
    this.#ranked = heap;
    return heap.slice(0, n);
  }

  /** Forgets everything. */
  clear(): void {
    this.#ranked = null;
    this.#counts.clear();
    this.#amounts.clear();
  }

  /** A JSON-able copy of the state. */
  toJSON(): { users: number[]; counts: number[]; amounts: number[] } {
    return {
      users: [...this.#counts.keys()],
      counts: [...this.#counts.values()],
      amounts: [...this.#amounts.values()],
    };
  }

  /** Rebuilds an aggregate from {@linkcode toJSON}'s output. */
  static fromJSON(
    state: { users: number[]; counts: number[]; amounts: number[] },
    options: PurchaseAggregateOptions = {},
  ): PurchaseAggregate {
    const aggregate = new PurchaseAggregate(options);
    state.users.forEach((user, i) => {
      aggregate.#counts.set(user, state.counts[i]);
      aggregate.#amounts.set(user, state.amounts[i]);
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

/** Min-heap by rank (the lowest-ranked row at the root). */
function siftUp(heap: PurchaserView[], i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[parent], heap[i])) return;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}

function siftDown(heap: PurchaserView[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < heap.length && before(heap[worst], heap[l])) worst = l;
    if (r < heap.length && before(heap[worst], heap[r])) worst = r;
    if (worst === i) return;
    [heap[worst], heap[i]] = [heap[i], heap[worst]];
    i = worst;
  }
}
