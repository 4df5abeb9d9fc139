/**
 * An intrusive doubly linked list of slots in recency order, least recently seen first: the LRU
 * order of a `SessionStore` (`session_store.ts`). Slots are small non-negative integers; the
 * links live in two `Int32Array`s indexed by slot, so moving a slot allocates nothing.
 *
 * @module
 */

/** The end of the list (no slot). */
export const NIL: number = -1;

/** Slots in recency order, least recently seen first. */
export class RecencyList {
  #prev: Int32Array;
  #next: Int32Array;
  #head = NIL;
  #tail = NIL;

  /**
   * An empty list.
   * @param capacity slots it can hold before {@linkcode RecencyList.grow}
   */
  constructor(capacity: number) {
    this.#prev = new Int32Array(capacity);
    this.#next = new Int32Array(capacity);
  }

  /** Slots it can hold: every slot is below it. */
  get capacity(): number {
    return this.#prev.length;
  }

  /** The least recently seen slot, or {@linkcode NIL} when empty. */
  get head(): number {
    return this.#head;
  }

  /** The most recently seen slot, or {@linkcode NIL} when empty. */
  get tail(): number {
    return this.#tail;
  }

  /** The slot seen next after `slot` (more recently), or {@linkcode NIL} after the tail. */
  after(slot: number): number {
    return this.#next[slot];
  }

  /** Makes room for slots below `capacity` (at least the current one), keeping the links. */
  grow(capacity: number): void {
    const prev = new Int32Array(capacity);
    prev.set(this.#prev);
    this.#prev = prev;
    const next = new Int32Array(capacity);
    next.set(this.#next);
    this.#next = next;
  }

  /** Adds `slot` (not in the list, below the capacity) as the most recently seen. */
  append(slot: number): void {
    this.#prev[slot] = this.#tail;
    this.#next[slot] = NIL;
    if (this.#tail !== NIL) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
  }

  /** Removes `slot` (in the list). */
  unlink(slot: number): void {
    const p = this.#prev[slot], n = this.#next[slot];
    if (p !== NIL) this.#next[p] = n;
    else this.#head = n;
    if (n !== NIL) this.#prev[n] = p;
    else this.#tail = p;
  }

  /** Makes `slot` (in the list) the most recently seen. */
  touch(slot: number): void {
    if (slot === this.#tail) return;
    this.unlink(slot);
    this.#prev[slot] = this.#tail;
    this.#next[slot] = NIL;
    this.#next[this.#tail] = slot;
    this.#tail = slot;
  }
}
