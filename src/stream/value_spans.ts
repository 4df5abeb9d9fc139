/**
 * `ValueSpans`: the layout of the featurize worker's packed batch of values (`packRecords` of
 * `featurize_worker_protocol.ts`): the values of a fetch's consecutive records become one span of
 * the fetch's bytes — the record headers and keys between them included — copied in one go when
 * the span ends, instead of a view and a copy per value.
 *
 * @module
 */

/**
 * The most bytes between two values of one fetch that are copied with them rather than starting
 * a new copy: a record's header and key lie between its value and the one before (~50 bytes for a
 * `shop` event), so a batch's values of one fetch are one copy, not one per record.
 */
export const SPAN_GAP = 512;

/**
 * The layout of a packed batch's values, measured (no `values`) or written (into `values`): runs
 * of values of one fetch become one span of its bytes, copied when the span ends.
 */
export class ValueSpans {
  #values: Uint8Array | undefined;
  /** Bytes laid out before the open span. */
  #at = 0;
  #bytes: Uint8Array | null = null;
  #from = 0;
  #to = 0;

  constructor(values?: Uint8Array) {
    this.#values = values;
  }

  /** A value of `length` bytes at `start` of a fetch's `bytes` (-1: a tombstone); its place. */
  add(bytes: Uint8Array, start: number, length: number): number {
    if (start < 0) return this.#at + (this.#to - this.#from);
    if (bytes !== this.#bytes || start < this.#to || start - this.#to > SPAN_GAP) {
      this.#close();
      this.#bytes = bytes;
      this.#from = start;
    }
    this.#to = start + length;
    return this.#at + (start - this.#from);
  }

  /** A value of its own (`length` -1: a tombstone), copied now; its place. */
  own(length: number, value?: Uint8Array): number {
    this.#close();
    const at = this.#at;
    if (length > 0) {
      this.#values?.set(value!, at);
      this.#at += length;
    }
    return at;
  }

  /** Ends the last span; the bytes laid out. */
  end(): number {
    this.#close();
    return this.#at;
  }

  #close(): void {
    if (this.#bytes === null) return;
    this.#values?.set(this.#bytes.subarray(this.#from, this.#to), this.#at);
    this.#at += this.#to - this.#from;
    this.#bytes = null;
    this.#from = this.#to = 0;
  }
}
