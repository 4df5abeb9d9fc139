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
  /** The ranking of every user, kept until the next change (snapshots ask for it per batch). */
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

  /** The top `n` users by amount (ties by count, then by user id). */
  top(n: number): PurchaserView[] {
    if (this.#ranked === null) {
      const rows: PurchaserView[] = [];
      for (const [userId, purchases] of this.#counts) {
        rows.push({
          userId,
          purchases,
          amount: Math.round(this.#amounts.get(userId)! * 100) / 100,
        });
      }
      rows.sort((a, b) => b.amount - a.amount || b.purchases - a.purchases || a.userId - b.userId);
      this.#ranked = rows;
    }
    return this.#ranked.slice(0, n);
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
