/**
 * The session id strings a `SessionStore` (`session_store.ts`) hands out (`recordKey` returns the id of the
 * session it recorded, for the row), cached by slot so that a session's id is made from its
 * bytes (`decodeWtf8`) about once, not at every event: the featurize stage asks it at every
 * event, and a session has tens of them.
 *
 * Bounded: {@linkcode ID_CACHE_SIZE} entries, direct-mapped (slot `s` in entry
 * `s mod ID_CACHE_SIZE`, the entry remembering its slot), so every live session of a store of up
 * to that many has its own entry (slots are dense, reused from the most recently freed), and a
 * larger store keeps the recent ones, at about 40 bytes a string — never a string per session of
 * a store of a million. A slot keeps its key until the store removes it, which
 * {@linkcode SessionIdCache.forget}s the slot's entry: an entry that names a slot is that slot's
 * id.
 *
 * @module
 */

/** Entries of a {@linkcode SessionIdCache}: a power of two. */
export const ID_CACHE_SIZE = 1 << 14;
const MASK = ID_CACHE_SIZE - 1;
const NONE = -1;

/** See the module documentation. */
export class SessionIdCache {
  #slot = new Int32Array(ID_CACHE_SIZE).fill(NONE);
  #id: string[] = new Array<string>(ID_CACHE_SIZE).fill("");

  /** The id cached for `slot`, or `undefined`. */
  get(slot: number): string | undefined {
    const e = slot & MASK;
    return this.#slot[e] === slot ? this.#id[e] : undefined;
  }

  /** Caches `id` as the id of the live session in `slot`. */
  set(slot: number, id: string): void {
    const e = slot & MASK;
    this.#slot[e] = slot;
    this.#id[e] = id;
  }

  /** Forgets the id of `slot` (call it when the slot's session is removed). */
  forget(slot: number): void {
    const e = slot & MASK;
    if (this.#slot[e] === slot) this.#slot[e] = NONE;
  }
}
