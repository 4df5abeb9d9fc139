/**
 * A reusable, preallocated micro-batch of feature rows: the hand-off between the featurizer,
 * the model and the metrics. Rows are packed row-major in one `Float64Array` (`width` values
 * per event); `labels` holds 1 for a purchase, 0 otherwise; the model writes each event's
 * pre-learning score into `scores`; `truth` holds the true purchase probability when the
 * source knows it (the generator), `NaN` otherwise. Capacity grows on demand; `clear()` keeps
 * the storage, so a steady stream of batches allocates nothing.
 *
 * @module
 */

/** Options of {@linkcode FeatureBatch}. */
export interface FeatureBatchOptions {
  /** Initial capacity in events (grows on demand). Default `10000`. */
  capacity?: number;
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

  /**
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
    this.width = width;
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
    return i;
  }

  #grow(): void {
    const cap = this.labels.length * 2;
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
  }
}
