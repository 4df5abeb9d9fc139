/**
 * An open-addressing hash index from byte-slice keys to dense integer slot ids, for a session
 * store keyed by the session-id bytes that the byte decoder (`src/events/byte_decoder.ts`)
 * leaves in a record: no string per event, and nothing allocated per lookup.
 *
 * - **Keys** are copied on insert, so the caller's buffer may be reused at once: a key of at
 *   most `inlineBytes` (12) into its slot's own words, a longer one into an internal byte arena. When an insert finds the arena full and at least a quarter of it is deleted
 *   keys' bytes, the live keys are moved down in place (no second arena); otherwise it is
 *   rebuilt with the live keys only, at least twice their size: its size follows the live keys'
 *   bytes, not the churn.
 * - **Memory** is allocated for `initialCapacity` keys up front and untouched until used: typed
 *   arrays are zero pages the kernel maps on first write, so an index sized for a million keys
 *   that holds a thousand costs the thousand's pages. Nothing is filled ahead of use. Only the
 *   bucket table grows with the keys instead (4 bytes a bucket, two buckets a key at most).
 * - **Hashes** are the caller's (e.g. FNV-1a from `src/util/fnv1a.ts`), any 32-bit function of
 *   the key bytes; the index spreads them with murmur3's finalizer before taking a bucket, and
 *   on a hash match compares the key bytes, so two distinct keys are never one entry — equal
 *   hashes cost a longer probe, never a merge. A weak hash (even a constant) stays correct.
 * - **Table**: linear probing over a power-of-two table at most half full, sized for the keys
 *   held (it doubles as they come: a store capped at 100,000 that holds 14,000 probes 128 KiB of
 *   buckets, which stay in the cache, not 1 MiB spread over its pages); each bucket is one
 *   int32 word: `slot + 1` (0 = empty) in its low bits, as many as the slot capacity needs, and
 *   the top bits of the mixed hash above them (a tag: 11 bits at a million slots). The key's
 *   hash, length and bytes (or arena offset) are the slot's, side by side in one array (2 +
 *   `inlineBytes / 4` int32 per slot). A probe compares the tag in the bucket, and only on
 *   a match reads the slot's hash, length and inline key (one cache line; a long key: the arena) — so a probe past
 *   other keys' buckets costs no access outside the table, as when the whole hash was in it, at
 *   4 bytes a bucket instead of 8. Deletion shifts the following entries back (backward-shift
 *   deletion), so there are no tombstones and probes never lengthen with churn.
 * - **Slots** are dense: a new key takes the most recently freed slot id, else the next unused
 *   one ({@linkcode ByteKeyIndex.slotLimit} is one past the highest ever handed out), so the
 *   owner can keep per-key data in typed arrays indexed by slot. A key keeps its slot until it
 *   is deleted; growth and compaction never move slots. Iteration is in slot order. The free
 *   slots are a stack threaded through their own offset words (no array of its own).
 *
 * @example
 * ```ts
 * const index = new ByteKeyIndex();
 * const key = new TextEncoder().encode("p3k9x0a1mz");
 * const hash = fnv1a32(key, 0, key.length);
 * let slot = index.lookup(key, 0, key.length, hash); // -1: not there yet
 * if (slot < 0) slot = index.insert(key, 0, key.length, hash); // 0
 * index.delete(slot);
 * ```
 *
 * @module
 */

/** Options of {@linkcode ByteKeyIndex}. */
export interface ByteKeyIndexOptions {
  /** Keys held before the first growth. Default `1024`. */
  initialCapacity?: number;
  /**
   * Arena bytes before the first growth. Default: 64 KiB when keys are inlined (`inlineBytes` >
   * 0: the arena holds only longer keys, which would outgrow any guess), else
   * `16 * initialCapacity`.
   */
  initialArenaBytes?: number;
  /**
   * Keys of at most this many bytes are kept in their slot's own words instead of the arena (a
   * multiple of 4, up to 64): a session id of the generator's 10 bytes then costs the slot's 12
   * bytes and no arena, and is compared in the cache line of its hash. 0: every key in the arena.
   * @default {12}
   */
  inlineBytes?: number;
}

/** murmur3's 32-bit finalizer: every input bit affects the low bits the bucket is taken from. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 2 ** 30) {
    throw new RangeError(
      `Cannot create a ByteKeyIndex with ${name} ${v}: expected an integer in 1..2^30.`,
    );
  }
  return v;
}

const HASH = 0, LENGTH = 1, KEY = 2; // a slot's words; KEY: the inline bytes, or the arena offset

/** The byte-keyed hash index; see the module documentation. */
export class ByteKeyIndex {
  /** Per bucket: `slot + 1` (0 = empty) in the bits of `#low`, the hash's tag above them. */
  #table: Int32Array;
  #mask: number;
  /** The bits of a bucket that hold `slot + 1`: `2^b − 1`, every slot + 1 of the capacity. */
  #low = 0;
  #size = 0;
  /**
   * Per slot, `#stride` words: the key's hash, its length (-1: a free slot), then its bytes
   * (at most `#inline`) or its arena offset (a free slot: the next free slot, or -1).
   */
  #meta: Int32Array;
  /** `#meta`'s bytes: a slot's inline key is at `4 * (stride * slot + KEY)`. */
  #metaBytes: Uint8Array;
  #stride: number;
  #inline: number;
  #slotLimit = 0;
  /** The most recently freed slot, the top of the free stack, or -1. */
  #freeHead = -1;
  #arena: Uint8Array;
  #arenaUsed = 0;
  #arenaGarbage = 0;

  /**
   * An empty index with room for `initialCapacity` keys and `initialArenaBytes` of their bytes.
   * @param options see {@linkcode ByteKeyIndexOptions}
   */
  constructor(options: ByteKeyIndexOptions = {}) {
    const capacity = positiveInteger("initialCapacity", options.initialCapacity ?? 1024);
    const inline = options.inlineBytes ?? 12;
    if (!Number.isInteger(inline) || inline < 0 || inline > 64 || inline % 4 !== 0) {
      throw new RangeError(
        `Cannot create a ByteKeyIndex with inlineBytes ${inline}: expected a multiple of 4 in 0..64.`,
      );
    }
    const arenaBytes = positiveInteger(
      "initialArenaBytes",
      options.initialArenaBytes ?? (inline > 0 ? 1 << 16 : 16 * capacity),
    );
    this.#inline = inline;
    this.#stride = KEY + Math.max(1, inline / 4);
    let buckets = 2;
    while (buckets < 2 * Math.min(capacity, TABLE_START_KEYS)) buckets *= 2;
    this.#table = new Int32Array(buckets);
    this.#mask = buckets - 1;
    this.#meta = new Int32Array(this.#stride * capacity); // read only below slotLimit: no fill
    this.#metaBytes = new Uint8Array(this.#meta.buffer);
    this.#low = lowMask(capacity);
    this.#arena = new Uint8Array(arenaBytes);
  }

  /** Keys held. */
  get size(): number {
    return this.#size;
  }

  /** One past the highest slot id ever handed out: per-slot arrays of this length suffice. */
  get slotLimit(): number {
    return this.#slotLimit;
  }

  /**
   * The slot of the key `bytes[start .. start + length)` with hash `hash`, or -1 when absent.
   * Allocates nothing.
   * @throws {RangeError} when the slice is not inside `bytes`
   */
  lookup(bytes: Uint8Array, start: number, length: number, hash: number): number {
    checkSlice(bytes, start, length);
    const table = this.#table, mask = this.#mask, meta = this.#meta, low = this.#low;
    const stride = this.#stride;
    const h = hash | 0, mixed = mix(h);
    for (let j = mixed & mask;; j = (j + 1) & mask) {
      const entry = table[j];
      if (entry === 0) return -1;
      if (((entry ^ mixed) & ~low) !== 0) continue; // another tag: another key
      const slot = (entry & low) - 1, m = stride * slot;
      if (
        meta[m + HASH] === h && meta[m + LENGTH] === length &&
        this.#equals(slot, bytes, start, length)
      ) return slot;
    }
  }

  /**
   * Adds the key `bytes[start .. start + length)` with hash `hash` (copying its bytes) and
   * returns its new slot. Allocates only when the index or its arena grows.
   * @throws {Error} when the key is already present (look it up first)
   * @throws {RangeError} when the slice is not inside `bytes`
   */
  insert(bytes: Uint8Array, start: number, length: number, hash: number): number {
    checkSlice(bytes, start, length);
    if (2 * (this.#size + 1) > this.#mask + 1) this.#growTable();
    let slot = this.#freeHead;
    if (slot < 0 && this.#stride * this.#slotLimit === this.#meta.length) this.#growSlots();
    const table = this.#table, mask = this.#mask, low = this.#low, stride = this.#stride;
    const h = hash | 0, mixed = mix(h);
    let j = mixed & mask;
    for (;; j = (j + 1) & mask) {
      const entry = table[j];
      if (entry === 0) break;
      if (((entry ^ mixed) & ~low) !== 0) continue;
      const other = (entry & low) - 1, m = stride * other;
      if (
        this.#meta[m + HASH] === h && this.#meta[m + LENGTH] === length &&
        this.#equals(other, bytes, start, length)
      ) {
        throw new Error(`Cannot insert a key that is already present, in slot ${other}.`);
      }
    }
    const inline = length <= this.#inline;
    if (!inline && this.#arenaUsed + length > this.#arena.length) this.#makeRoom(length);
    if (slot >= 0) this.#freeHead = this.#meta[stride * slot + KEY];
    else slot = this.#slotLimit++;
    const meta = this.#meta, m = stride * slot;
    meta[m + HASH] = h;
    meta[m + LENGTH] = length;
    // Loops, not `set(subarray(...))`: a view per insert would be an allocation per new key.
    if (inline) {
      const to = this.#metaBytes, o = 4 * (m + KEY) - start;
      for (let k = start; k < start + length; k++) to[o + k] = bytes[k];
    } else {
      const arena = this.#arena, o = this.#arenaUsed - start;
      for (let k = start; k < start + length; k++) arena[o + k] = bytes[k];
      meta[m + KEY] = this.#arenaUsed;
      this.#arenaUsed += length;
    }
    table[j] = (mixed & ~low) | (slot + 1);
    this.#size++;
    return slot;
  }

  /**
   * Removes the key in `slot`; the slot id is handed out again by a later insert. Allocates
   * nothing.
   * @throws {RangeError} when `slot` holds no key
   */
  delete(slot: number): void {
    this.#checkSlot(slot);
    const table = this.#table, mask = this.#mask, meta = this.#meta, low = this.#low;
    const stride = this.#stride;
    let i = mix(meta[stride * slot + HASH]) & mask;
    while ((table[i] & low) !== slot + 1) i = (i + 1) & mask;
    // Backward shift: move each following entry of the run into the hole unless the hole lies
    // before its home bucket (cyclically), then continue from where it was.
    let k = i;
    for (;;) {
      table[i] = 0;
      for (;;) {
        k = (k + 1) & mask;
        const entry = table[k];
        if (entry === 0) {
          this.#release(slot);
          return;
        }
        const home = mix(meta[stride * ((entry & low) - 1) + HASH]) & mask;
        const stays = i <= k ? i < home && home <= k : i < home || home <= k;
        if (!stays) {
          table[i] = entry;
          i = k;
          break;
        }
      }
    }
  }

  /** Whether `slot` holds a key. */
  has(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.#slotLimit &&
      this.#meta[this.#stride * slot + LENGTH] >= 0;
  }

  /**
   * The first slot at or after `from` that holds a key, or -1: iteration in slot order without
   * allocating (`for (let s = index.nextSlot(0); s >= 0; s = index.nextSlot(s + 1))`).
   */
  nextSlot(from: number): number {
    const meta = this.#meta, stride = this.#stride;
    for (let s = Math.max(0, from); s < this.#slotLimit; s++) {
      if (meta[stride * s + LENGTH] >= 0) return s;
    }
    return -1;
  }

  /** The slots that hold keys, in increasing order (allocates an iterator; see `nextSlot`). */
  *slots(): IterableIterator<number> {
    for (let s = this.nextSlot(0); s >= 0; s = this.nextSlot(s + 1)) yield s;
  }

  /**
   * The arena of the keys longer than `inlineBytes`; replaced by a later insert that grows or
   * compacts it. {@linkcode ByteKeyIndex.keyArray} gives the array of any key.
   */
  get arena(): Uint8Array {
    return this.#arena;
  }

  /**
   * The array that holds the key of `slot` at {@linkcode ByteKeyIndex.keyOffset}: the slot's own
   * words' bytes for a key of at most `inlineBytes`, else the arena. Valid until the next insert
   * (which may grow or compact either): fetch it again after inserting.
   * @throws {RangeError} when `slot` holds no key
   */
  keyArray(slot: number): Uint8Array {
    this.#checkSlot(slot);
    return this.#meta[this.#stride * slot + LENGTH] <= this.#inline ? this.#metaBytes : this.#arena;
  }

  /**
   * Where the key of `slot` starts in {@linkcode ByteKeyIndex.keyArray}.
   * @throws {RangeError} when `slot` holds no key
   */
  keyOffset(slot: number): number {
    this.#checkSlot(slot);
    const m = this.#stride * slot;
    return this.#meta[m + LENGTH] <= this.#inline ? 4 * (m + KEY) : this.#meta[m + KEY];
  }

  /**
   * The length in bytes of the key of `slot`.
   * @throws {RangeError} when `slot` holds no key
   */
  keyLength(slot: number): number {
    this.#checkSlot(slot);
    return this.#meta[this.#stride * slot + LENGTH];
  }

  /**
   * The hash the key of `slot` was inserted with (unsigned 32-bit).
   * @throws {RangeError} when `slot` holds no key
   */
  keyHash(slot: number): number {
    this.#checkSlot(slot);
    return this.#meta[this.#stride * slot + HASH] >>> 0;
  }

  /**
   * A copy of the key bytes of `slot` (allocates: for checkpoints and tests).
   * @throws {RangeError} when `slot` holds no key
   */
  keyBytes(slot: number): Uint8Array {
    const o = this.keyOffset(slot);
    return this.keyArray(slot).slice(o, o + this.keyLength(slot));
  }

  /**
   * Whether `slot` holds the key `bytes[start .. start + length)` (its length and bytes; the
   * hash is not compared). Allocates nothing.
   * @throws {RangeError} when `slot` holds no key, or the slice is not inside `bytes`
   */
  keyEquals(slot: number, bytes: Uint8Array, start: number, length: number): boolean {
    this.#checkSlot(slot);
    checkSlice(bytes, start, length);
    return this.#meta[this.#stride * slot + LENGTH] === length &&
      this.#equals(slot, bytes, start, length);
  }

  /** Removes every key; slot ids start again at 0. Keeps the allocated space. */
  clear(): void {
    this.#table.fill(0);
    this.#size = 0;
    this.#slotLimit = 0;
    this.#freeHead = -1;
    this.#arenaUsed = 0;
    this.#arenaGarbage = 0;
  }

  #equals(slot: number, bytes: Uint8Array, start: number, length: number): boolean {
    const m = this.#stride * slot;
    let from: Uint8Array, o: number;
    if (length <= this.#inline) {
      from = this.#metaBytes;
      o = 4 * (m + KEY) - start;
    } else {
      from = this.#arena;
      o = this.#meta[m + KEY] - start;
    }
    for (let k = start; k < start + length; k++) if (from[o + k] !== bytes[k]) return false;
    return true;
  }

  #checkSlot(slot: number): void {
    if (!this.has(slot)) {
      throw new RangeError(`Slot ${slot} holds no key (slot limit ${this.#slotLimit}).`);
    }
  }

  /** Doubles the slot capacity; the buckets' slot bits widen with it (their tags narrow). */
  #growSlots(): void {
    const meta = new Int32Array(2 * this.#meta.length);
    meta.set(this.#meta);
    this.#meta = meta;
    this.#metaBytes = new Uint8Array(meta.buffer);
    const low = lowMask(meta.length / this.#stride);
    if (low === this.#low) return;
    const table = this.#table, old = this.#low, stride = this.#stride;
    for (let j = 0; j < table.length; j++) {
      const entry = table[j];
      if (entry === 0) continue;
      const slot = (entry & old) - 1;
      table[j] = (mix(meta[stride * slot + HASH]) & ~low) | (slot + 1);
    }
    this.#low = low;
  }

  #release(slot: number): void {
    const m = this.#stride * slot, length = this.#meta[m + LENGTH];
    if (length > this.#inline) this.#arenaGarbage += length;
    this.#meta[m + LENGTH] = -1;
    this.#meta[m + KEY] = this.#freeHead;
    this.#freeHead = slot;
    this.#size--;
  }

  #growTable(): void {
    const buckets = 2 * (this.#mask + 1);
    const table = new Int32Array(buckets);
    const mask = buckets - 1, meta = this.#meta, low = this.#low, stride = this.#stride;
    for (let s = 0; s < this.#slotLimit; s++) {
      if (meta[stride * s + LENGTH] < 0) continue;
      const mixed = mix(meta[stride * s + HASH]);
      let j = mixed & mask;
      while (table[j] !== 0) j = (j + 1) & mask;
      table[j] = (mixed & ~low) | (s + 1);
    }
    this.#table = table;
    this.#mask = mask;
  }

  /**
   * Room for `length` more bytes: compact in place when the live keys and the new one fill at
   * most three quarters of the arena, else move them into one at least twice their size.
   */
  #makeRoom(length: number): void {
    const live = this.#arenaUsed - this.#arenaGarbage;
    let size = this.#arena.length;
    if (4 * (live + length) <= 3 * size && this.#slotLimit <= SLOT_BITS && size <= 2 ** 30) {
      this.#compactInPlace();
      return;
    }
    while (live + length > size / 2) size *= 2;
    const arena = new Uint8Array(size);
    const meta = this.#meta, stride = this.#stride, inline = this.#inline;
    let used = 0;
    for (let s = 0; s < this.#slotLimit; s++) {
      const m = stride * s, len = meta[m + LENGTH];
      if (len <= inline) continue; // free (-1) or inline
      const o = meta[m + KEY];
      arena.set(this.#arena.subarray(o, o + len), used);
      meta[m + KEY] = used;
      used += len;
    }
    this.#arena = arena;
    this.#arenaUsed = used;
    this.#arenaGarbage = 0;
  }

  /**
   * Moves the arena's live keys down over the deleted ones, in the order they lie in the arena,
   * so each moves to an offset at or below its own and none overwrites another not yet moved.
   * The order is one sorted `Float64Array` of `offset · 2^23 + slot` (exact: offsets below
   * 2^30).
   */
  #compactInPlace(): void {
    const meta = this.#meta, stride = this.#stride, inline = this.#inline;
    let n = 0;
    for (let s = 0; s < this.#slotLimit; s++) if (meta[stride * s + LENGTH] > inline) n++;
    const order = new Float64Array(n);
    n = 0;
    for (let s = 0; s < this.#slotLimit; s++) {
      const m = stride * s;
      if (meta[m + LENGTH] > inline) order[n++] = meta[m + KEY] * SLOT_BITS + s;
    }
    order.sort();
    const arena = this.#arena;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const s = order[i] % SLOT_BITS, m = stride * s;
      const o = meta[m + KEY], len = meta[m + LENGTH];
      if (o !== used) arena.copyWithin(used, o, o + len);
      meta[m + KEY] = used;
      used += len;
    }
    this.#arenaUsed = used;
    this.#arenaGarbage = 0;
  }
}

/** The bucket bits that hold `slot + 1` for `capacity` slots: `2^b − 1 ≥ capacity`, b ≤ 31. */
function lowMask(capacity: number): number {
  let low = 1;
  while (low < capacity) low = low * 2 + 1;
  return low;
}

/**
 * Keys the bucket table has room for at first (or `initialCapacity`, if fewer); it doubles as
 * keys are added, so that its buckets are those of the keys held, not of the capacity.
 */
const TABLE_START_KEYS = 1024;

/** In-place compaction orders slots by `offset · SLOT_BITS + slot` (for slots below it). */
const SLOT_BITS = 2 ** 23;

function checkSlice(bytes: Uint8Array, start: number, length: number): void {
  if (
    !Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 ||
    start + length > bytes.length
  ) {
    throw new RangeError(
      `The key slice start ${start}, length ${length} is not inside the ${bytes.length} bytes given.`,
    );
  }
}
