/**
 * The session id strings a `SessionStore` (`session_store.ts`) hands out (`recordKey` returns
 * the id of the session it recorded, for the row), cached by slot so that a session's id is made
 * from its bytes (`decodeWtf8`) about once, not at every event: the featurize stage asks it at
 * every event, and a session has tens of them.
 *
 * Bounded: at most {@linkcode ID_CACHE_SIZE} entries (a store of a lower cap gets one per session
 * it can hold, to a power of two), direct-mapped (slot `s` in entry `s mod size`, the entry
 * remembering its slot), so every live session of a store of up to that many has its own entry
 * (slots are dense, reused from the most recently freed), and a larger store keeps the recent
 * ones, at about 40 bytes a string — never a string per session of a store of a million. A slot
 * keeps its key until the store removes it, which {@linkcode SessionIdCache.forget}s the slot's
 * entry: an entry that names a slot is that slot's id.
 *
 * @module
 */

/** The most entries a {@linkcode SessionIdCache} has: a power of two. */
export const ID_CACHE_SIZE = 1 << 14;
const NONE = -1;

/** See the module documentation. */
export class SessionIdCache {
  #mask: number;
  #slot: Int32Array;
  #id: string[];

  /**
   * An empty cache for a store of up to `sessions` live sessions: the least power of two of
   * entries that is at least that, up to {@linkcode ID_CACHE_SIZE}.
   * @param sessions the store's cap (any positive number; a later higher cap only shares entries)
   */
  constructor(sessions: number) {
    let size = 1;
    while (size < sessions && size < ID_CACHE_SIZE) size *= 2;
    this.#mask = size - 1;
    this.#slot = new Int32Array(size).fill(NONE);
    this.#id = new Array<string>(size).fill("");
  }

  /** The id cached for `slot`, or `undefined`. */
  get(slot: number): string | undefined {
    const e = slot & this.#mask;
    return this.#slot[e] === slot ? this.#id[e] : undefined;
  }

  /** Caches `id` as the id of the live session in `slot`. */
  set(slot: number, id: string): void {
    const e = slot & this.#mask;
    this.#slot[e] = slot;
    this.#id[e] = id;
  }

  /** Forgets the id of `slot` (call it when the slot's session is removed). */
  forget(slot: number): void {
    const e = slot & this.#mask;
    if (this.#slot[e] === slot) this.#slot[e] = NONE;
  }
}
