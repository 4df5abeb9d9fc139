/**
 * A reusable, preallocated micro-batch of feature rows: the hand-off between the featurizer,
 * the model and the metrics. Rows are packed row-major in one `Float64Array` (`width` values
 * per event); `labels` holds 1 for a purchase, 0 otherwise; the model writes each event's
 * pre-learning score into `scores`; `truth` holds the true purchase probability when the
 * source knows it (the generator), `NaN` otherwise. A set with hashed url features
 * (`urlBuckets`, see `feature_set.ts`) also has a sparse part per row: `(index, value)` pairs in
 * `sparseIndex`/`sparseValue`, row `i`'s from `sparseEnd[i − 1]` (0 for the first) to
 * `sparseEnd[i]`, indices below `sparseWidth` — never standardized; the model's update touches
 * only them. Capacity grows on demand; `clear()` keeps the storage, so a steady stream of
 * batches allocates nothing.
 *
 * @module
 */

/** Options of {@linkcode FeatureBatch}. */
export interface FeatureBatchOptions {
  /** Initial capacity in events (grows on demand). Default `10000`. */
  capacity?: number;
  /** Width of the sparse index space (0: no sparse part). Default `0`. */
  sparseWidth?: number;
}

/** A micro-batch of feature rows, labels, scores and (optional) true probabilities. */
export class FeatureBatch {
  /** Values per row. */
  readonly width: number;
  /** Row-major features, `width` per event; valid up to `length * width`. */
  rows: Float64Array;
  /** 1 = purchase, 0 = not. */
  labels: Uint8Array;
  /** Pre-learning scores written by the model. */
  scores: Float64Array;
  /** True purchase probabilities when known, `NaN` otherwise. */
  truth: Float64Array;
  /** Events in the batch. */
  length = 0;
  /** Width of the sparse index space (0: none). */
  readonly sparseWidth: number;
  /** End (exclusive) of row `i`'s entries in `sparseIndex`/`sparseValue`. */
  sparseEnd: Uint32Array;
  /** Sparse feature indices, below `sparseWidth`. */
  sparseIndex: Uint32Array;
  /** Sparse feature values. */
  sparseValue: Float64Array;
  /** Sparse entries in use. */
  sparseLength = 0;

  /**
   * Creates an empty batch.
   *
   * @param width values per row (the number of features)
   * @param options see {@linkcode FeatureBatchOptions}
   */
  constructor(width: number, options: FeatureBatchOptions = {}) {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isInteger(width) || width < 1) {
      throw new RangeError(
        `Cannot create a FeatureBatch of width ${width}: expected an integer ≥ 1.`,
      );
    }
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot create a FeatureBatch with capacity ${capacity}: expected an integer ≥ 1.`,
      );
    }
    const sparse = options.sparseWidth ?? 0;
    if (!Number.isInteger(sparse) || sparse < 0) {
      throw new RangeError(
        `Cannot create a FeatureBatch of sparse width ${sparse}: expected an integer ≥ 0.`,
      );
    }
    this.width = width;
    this.sparseWidth = sparse;
    this.sparseEnd = new Uint32Array(capacity);
    this.sparseIndex = new Uint32Array(sparse > 0 ? capacity : 0);
    this.sparseValue = new Float64Array(sparse > 0 ? capacity : 0);
    this.rows = new Float64Array(capacity * width);
    this.labels = new Uint8Array(capacity);
    this.scores = new Float64Array(capacity);
    this.truth = new Float64Array(capacity);
  }

  /** Events the storage holds before growing. */
  get capacity(): number {
    return this.labels.length;
  }

  /** Empties the batch, keeping its storage. */
  clear(): void {
    this.length = 0;
    this.sparseLength = 0;
  }

  /**
   * Reserves the next row and returns its index (its values start at `index * width`); the
   * label is set to 0 and the truth to `NaN`.
   */
  add(): number {
    if (this.length === this.labels.length) this.#grow();
    const i = this.length++;
    this.labels[i] = 0;
    this.truth[i] = NaN;
    this.sparseEnd[i] = this.sparseLength;
    return i;
  }

  /**
   * Appends the sparse entry `(index, value)` to the last row.
   * @throws {RangeError} before the first row, or on an index outside `0 .. sparseWidth`
   */
  addSparse(index: number, value: number): void {
    if (this.length === 0 || !(index >= 0 && index < this.sparseWidth)) {
      throw new RangeError(
        `Cannot add sparse entry ${index} to a batch of ${this.length} rows and sparse width ${this.sparseWidth}.`,
      );
    }
    let k = this.sparseLength;
    if (k === this.sparseIndex.length) {
      const n = Math.max(16, 2 * k);
      const index = new Uint32Array(n), value = new Float64Array(n);
      index.set(this.sparseIndex);
      value.set(this.sparseValue);
      this.sparseIndex = index;
      this.sparseValue = value;
    }
    this.sparseIndex[k] = index;
    this.sparseValue[k++] = value;
    this.sparseLength = k;
    this.sparseEnd[this.length - 1] = k;
  }

  /**
   * Makes room for `rows` more rows and `sparseEntries` more sparse entries, so that a writer
   * that fills the columns in bulk (the learn stage, from a `RowBatch`) can write
   * `[length, length + rows)` of every column directly and then move `length` and
   * `sparseLength` (it then sets each row's label, truth and `sparseEnd` itself).
   *
   * @throws {RangeError} on a count that is not a non-negative integer
   */
  reserve(rows: number, sparseEntries = 0): void {
    if (
      !Number.isInteger(rows) || rows < 0 || !Number.isInteger(sparseEntries) || sparseEntries < 0
    ) {
      throw new RangeError(
        `Cannot reserve ${rows} rows and ${sparseEntries} sparse entries: expected integers ≥ 0.`,
      );
    }
    if (this.length + rows > this.labels.length) this.#grow(this.length + rows);
    const k = this.sparseLength + sparseEntries;
    if (k > this.sparseIndex.length) {
      const n = Math.max(16, k, 2 * this.sparseIndex.length);
      const index = new Uint32Array(n), value = new Float64Array(n);
      index.set(this.sparseIndex);
      value.set(this.sparseValue);
      this.sparseIndex = index;
      this.sparseValue = value;
    }
  }

  /** Row `i`'s sparse entries: `[start, end)` into `sparseIndex`/`sparseValue`. */
  sparseExtent(i: number): [number, number] {
    return [i === 0 ? 0 : this.sparseEnd[i - 1], this.sparseEnd[i]];
  }

  /** Grows every column to twice its rows, or to `atLeast` if that is more (one copy). */
  #grow(atLeast = 0): void {
    const cap = Math.max(this.labels.length * 2, atLeast);
    const rows = new Float64Array(cap * this.width);
    rows.set(this.rows);
    this.rows = rows;
    const labels = new Uint8Array(cap);
    labels.set(this.labels);
    this.labels = labels;
    const scores = new Float64Array(cap);
    scores.set(this.scores);
    this.scores = scores;
    const truth = new Float64Array(cap);
    truth.set(this.truth);
    this.truth = truth;
    const ends = new Uint32Array(cap);
    ends.set(this.sparseEnd);
    this.sparseEnd = ends;
  }
}
