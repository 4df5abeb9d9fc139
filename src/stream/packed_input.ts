/**
 * A batch's records as columns over one buffer — the featurize worker's packed batch
 * (`featurize_worker_protocol.ts`'s `packRecords`) — as the featurize stage reads it
 * (`FeaturizeStage.featurizePacked`): where each value starts, which records the state does not
 * cover yet, and the record of a bad one for its dead letter. Nothing per record is made but
 * that dead letter's.
 *
 * @module
 */

import type { LedgerBatch } from "./offset_ledger.ts";
import type { SourceRecord } from "./records.ts";

/**
 * A batch's records as columns over one buffer: record `i` has `partition[i]`, `offset[i]` and a
 * value of `lengths[i]` bytes (-1: a tombstone), the values one after the other in `values`. The
 * arrays may be longer than `n`.
 */
export interface PackedInput {
  /** Records in the batch. */
  readonly n: number;
  /** The values, one after the other. */
  readonly values: Uint8Array;
  /** Each value's length in bytes, -1 for a tombstone. */
  readonly lengths: Int32Array;
  /** Each record's partition. */
  readonly partition: Int32Array;
  /** Each record's offset. */
  readonly offset: Float64Array;
}

/** A bad record of a packed batch, as its dead letter has it: with its index in the batch. */
export interface IndexedRecord extends SourceRecord {
  /** The record's index in its batch (what a dead letter is mapped back by). */
  index: number;
}

/**
 * The records of a {@linkcode PackedInput} its featurize state does not cover yet, as columns:
 * fresh record `k` is `partition[k]`, `offset[k]`, its value `values[start[k] ..
 * start[k] + lengths[k])`. Reused from batch to batch ({@linkcode PackedFresh.take}).
 */
export class PackedFresh {
  /** The fresh records. */
  n = 0;
  /** Each fresh record's partition. */
  partition: Int32Array = new Int32Array(0);
  /** Each fresh record's offset. */
  offset: Float64Array = new Float64Array(0);
  /** Each fresh record's value length (-1: a tombstone). */
  lengths: Int32Array = new Int32Array(0);
  /** Where each fresh record's value starts in the input's `values`. */
  start: Int32Array = new Int32Array(0);
  #input: PackedInput | null = null;
  /** Each fresh record's index in the input, when some were covered (else the same). */
  #index: Int32Array | null = null;
  #starts = new Int32Array(0);

  /**
   * Takes `input`'s records that `batch` accepts (in order; it stages their offsets): all of
   * them, as the input's own columns, unless some are covered (then copies of the rest).
   */
  take(input: PackedInput, batch: LedgerBatch): this {
    const n = input.n, lengths = input.lengths;
    if (this.#starts.length < n) this.#starts = new Int32Array(Math.ceil(n * 1.25));
    const starts = this.#starts;
    for (let i = 0, at = 0; i < n; i++) {
      starts[i] = at;
      if (lengths[i] > 0) at += lengths[i];
    }
    this.#input = input;
    if (batch.acceptAll(input.partition, input.offset, n)) {
      this.n = n;
      this.partition = input.partition;
      this.offset = input.offset;
      this.lengths = lengths;
      this.start = starts;
      this.#index = null;
      return this;
    }
    // Some are covered already (a replay): the rest, one by one, compacted.
    const kept: number[] = [];
    for (let i = 0; i < n; i++) if (batch.accept(input.partition[i], input.offset[i])) kept.push(i);
    const index = Int32Array.from(kept), m = index.length;
    this.n = m;
    this.partition = index.map((i) => input.partition[i]);
    this.offset = Float64Array.from(index, (i) => input.offset[i]);
    this.lengths = index.map((i) => lengths[i]);
    this.start = index.map((i) => starts[i]);
    this.#index = index;
    return this;
  }

  /** The record of fresh record `k` (a bad one's, for its dead letter). */
  record(k: number): IndexedRecord {
    const input = this.#input!;
    const i = this.#index === null ? k : this.#index[k];
    const at = this.start[k], length = this.lengths[k];
    return {
      topic: "",
      partition: input.partition[i],
      offset: input.offset[i],
      key: null,
      value: length < 0 ? null : input.values.subarray(at, at + length),
      index: i,
    };
  }

  /** Lets the input go (its buffers travel back). */
  release(): void {
    this.#input = null;
    this.#index = null;
    this.partition = this.lengths = this.start = new Int32Array(0);
    this.offset = new Float64Array(0);
  }
}
