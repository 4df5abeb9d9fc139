/**
 * Online feature standardization with Welford's algorithm: a running count, mean and sum of
 * squared deviations per feature, updated one row at a time (numerically stable, no stored
 * history). A row is standardized as `(x - mean) / sd` with the sample standard deviation; a
 * feature whose deviation is still 0 standardizes to 0. The update order is part of the model's
 * determinism: the same rows in the same order give bitwise the same statistics.
 *
 * @module
 */

/** The plain JSON-able state of a {@linkcode Standardizer}. */
export interface StandardizerState {
  count: number;
  mean: number[];
  m2: number[];
}

/** Running per-feature mean and standard deviation. */
export class Standardizer {
  /** Number of features. */
  readonly width: number;
  #count = 0;
  #mean: Float64Array;
  #m2: Float64Array;

  /** @param width number of features */
  constructor(width: number) {
    if (!Number.isInteger(width) || width < 1) {
      throw new RangeError(
        `Cannot create a Standardizer of width ${width}: expected an integer ≥ 1.`,
      );
    }
    this.width = width;
    this.#mean = new Float64Array(width);
    this.#m2 = new Float64Array(width);
  }

  /** Rows seen. */
  get count(): number {
    return this.#count;
  }

  /** Adds the row `rows[offset .. offset + width)` to the statistics. */
  update(rows: Float64Array, offset: number): void {
    const n = ++this.#count;
    const mean = this.#mean, m2 = this.#m2, d = this.width;
    for (let j = 0; j < d; j++) {
      const x = rows[offset + j];
      const delta = x - mean[j];
      const m = mean[j] + delta / n;
      mean[j] = m;
      m2[j] += delta * (x - m);
    }
  }

  /** Writes the standardized row `rows[offset ..]` into `out[0 .. width)`. */
  transform(rows: Float64Array, offset: number, out: Float64Array): void {
    const mean = this.#mean, m2 = this.#m2, d = this.width;
    const n1 = this.#count - 1;
    for (let j = 0; j < d; j++) {
      const v = m2[j];
      out[j] = v > 0 ? (rows[offset + j] - mean[j]) / Math.sqrt(v / n1) : 0;
    }
  }

  /** The current mean of feature `j`. */
  mean(j: number): number {
    return this.#mean[j];
  }

  /** The current sample standard deviation of feature `j` (0 before two distinct values). */
  sd(j: number): number {
    const v = this.#m2[j];
    return v > 0 ? Math.sqrt(v / (this.#count - 1)) : 0;
  }

  /** The plain JSON-able state (doubles round-trip exactly through JSON). */
  toJSON(): StandardizerState {
    return { count: this.#count, mean: Array.from(this.#mean), m2: Array.from(this.#m2) };
  }

  /** Restores a standardizer from {@linkcode Standardizer.toJSON}. */
  static fromJSON(state: StandardizerState): Standardizer {
    if (
      state === null || typeof state !== "object" || !Array.isArray(state.mean) ||
      !Array.isArray(state.m2) || state.mean.length !== state.m2.length ||
      !Number.isInteger(state.count) || state.count < 0
    ) {
      throw new TypeError("Cannot restore a Standardizer: the state is malformed.");
    }
    const s = new Standardizer(state.mean.length);
    s.#count = state.count;
    s.#mean.set(state.mean);
    s.#m2.set(state.m2);
    return s;
  }
}
