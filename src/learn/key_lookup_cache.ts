/**
 * A one-entry cache in front of a {@linkcode ByteKeyIndex}: the byte key of the last lookup and
 * its slot, so that featurizing an event and then recording it costs one index lookup. A hit is
 * checked against the key's bytes in the index, so a caller that changed the bytes since its
 * lookup never gets another key's slot; the owner clears the cache whenever the index changes.
 *
 * @module
 */

import type { ByteKeyIndex } from "./byte_key_index.ts";

/** See the module documentation. */
export class KeyLookupCache {
  #index: ByteKeyIndex;
  #bytes: Uint8Array | null = null;
  #start = 0;
  #length = 0;
  #hash = 0;
  #slot = -1;

  /**
   * An empty cache.
   * @param index the index it caches lookups of
   */
  constructor(index: ByteKeyIndex) {
    this.#index = index;
  }

  /**
   * The slot of the key `bytes[start .. start + length)` of FNV-1a 32 hash `hash` in the index,
   * or -1 (as `ByteKeyIndex.lookup`); the same bytes asked again answer from the cache.
   */
  lookup(bytes: Uint8Array, start: number, length: number, hash: number): number {
    if (
      bytes === this.#bytes && start === this.#start && length === this.#length &&
      hash === this.#hash && this.#slot !== -1 &&
      this.#index.keyEquals(this.#slot, bytes, start, length)
    ) return this.#slot; // (a miss is looked up again: it costs one lookup per new session)
    const slot = this.#index.lookup(bytes, start, length, hash);
    this.#bytes = bytes;
    this.#start = start;
    this.#length = length;
    this.#hash = hash;
    this.#slot = slot;
    return slot;
  }

  /** Forgets the cached key (call it on every change of the index). */
  clear(): void {
    this.#bytes = null;
  }
}
