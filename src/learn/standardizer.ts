/**
 * Online feature standardization with Welford's algorithm: a running count, mean and sum of
 * squared deviations per feature, updated one row at a time (numerically stable, no stored
 * history). A row is standardized as `(x − mean) · scale` with the current mean and
 * `scale = 1 / sd` (sample standard deviation; 0 for a feature whose deviation is still 0).
 * Computing `1 / sd` costs a square root and a division per feature, so the scale is refreshed
 * after every row for the first {@linkcode SCALE_WARMUP} rows, then after every
 * {@linkcode SCALE_REFRESH}-th row (by then it moves by parts per million per row). The schedule
 * depends only on the row count, so the same rows in the same order give bitwise the same
 * statistics and scales — part of the model's determinism — and the scale is serialized.
 *
 * Columns named unscaled (a feature set's bounded features, `FeatureSet.unscaled`) pass through
 * as they are: their mean stays 0 and their scale 1, and no statistics are kept for them.
 *
 * @module
 */

/** Rows after each of which the scale is refreshed. */
export const SCALE_WARMUP = 1024;
/** After the warm-up, the scale is refreshed after every this-many-th row (a power of two). */
export const SCALE_REFRESH = 64;

/** The plain JSON-able state of a {@linkcode Standardizer}. */
export interface StandardizerState {
  /** Rows seen. */
  count: number;
  /** Running mean per feature (0 for an unscaled column). */
  mean: number[];
  /** Sum of squared deviations from the mean per feature (Welford's `M2`). */
  m2: number[];
  /**
   * `1 / sd` per feature as last refreshed (0 while the deviation is 0; 1 for an unscaled column).
   */
  scale: number[];
  /** The unscaled columns; absent: none. */
  unscaled?: number[];
}

/** Running per-feature mean and standard deviation. */
export class Standardizer {
  /** Number of features. */
  readonly width: number;
  #count = 0;
  #mean: Float64Array;
  #m2: Float64Array;
  #scale: Float64Array;
  #out: Float64Array;
  #unscaled: readonly number[];
  #scaled: Uint8Array;
  /** The scaled columns' indices, ascending: the loops of `update` and the refresh run over these. */
  #columns: Int32Array;

  /**
   * Creates a standardizer that has seen no row.
   *
   * @param width number of features
   * @param unscaled the columns passed through as they are (default none)
   * @throws {RangeError} on a width below 1 or an unscaled column outside `0 .. width`
   */
  constructor(width: number, unscaled: readonly number[] = []) {
    if (!Number.isInteger(width) || width < 1) {
      throw new RangeError(
        `Cannot create a Standardizer of width ${width}: expected an integer ≥ 1.`,
      );
    }
    this.width = width;
    this.#mean = new Float64Array(width);
    this.#m2 = new Float64Array(width);
    this.#scale = new Float64Array(width);
    this.#out = new Float64Array(width);
    this.#scaled = new Uint8Array(width).fill(1);
    for (const j of unscaled) {
      if (!Number.isInteger(j) || j < 0 || j >= width) {
        throw new RangeError(
          `Cannot leave column ${j} unscaled in a Standardizer of width ${width}.`,
        );
      }
      this.#scaled[j] = 0;
      this.#scale[j] = 1;
    }
    this.#unscaled = Object.freeze([...unscaled]);
    const columns: number[] = [];
    for (let j = 0; j < width; j++) if (this.#scaled[j] === 1) columns.push(j);
    this.#columns = Int32Array.from(columns);
  }

  /** The columns passed through as they are. */
  get unscaled(): readonly number[] {
    return this.#unscaled;
  }

  /** Rows seen. */
  get count(): number {
    return this.#count;
  }

  /** Adds the row `rows[offset .. offset + width)` to the statistics. */
  update(rows: Float64Array, offset: number): void {
    const n = ++this.#count;
    const mean = this.#mean, m2 = this.#m2, columns = this.#columns, c = columns.length;
    const inv = 1 / n;
    for (let k = 0; k < c; k++) {
      const j = columns[k];
      const x = rows[offset + j];
      const delta = x - mean[j];
      const m = mean[j] + delta * inv;
      mean[j] = m;
      m2[j] += delta * (x - m);
    }
    if (n <= SCALE_WARMUP || (n & (SCALE_REFRESH - 1)) === 0) this.#refresh();
  }

  #refresh(): void {
    const m2 = this.#m2, scale = this.#scale, n1 = this.#count - 1, columns = this.#columns;
    for (let k = 0; k < columns.length; k++) {
      const j = columns[k];
      const v = m2[j];
      scale[j] = v > 0 ? Math.sqrt(n1 / v) : 0;
    }
  }

  /**
   * The standardized row `rows[offset .. offset + width)`, written into a buffer owned by this
   * standardizer and returned (valid until the next call; copy it to keep it).
   */
  transform(rows: Float64Array, offset: number): Float64Array {
    const mean = this.#mean, scale = this.#scale, d = this.width, out = this.#out;
    for (let j = 0; j < d; j++) out[j] = (rows[offset + j] - mean[j]) * scale[j];
    return out;
  }

  /**
   * The live per-feature means and scales that {@linkcode Standardizer.transform} applies, for a
   * loop that standardizes as it goes (`adagrad_rows.ts`); do not mutate.
   */
  get arrays(): { readonly mean: Float64Array; readonly scale: Float64Array } {
    return { mean: this.#mean, scale: this.#scale };
  }

  /** The current mean of feature `j`. */
  mean(j: number): number {
    return this.#mean[j];
  }

  /** The scale `1 / sd` of feature `j` as last refreshed (0 before two distinct values). */
  scale(j: number): number {
    return this.#scale[j];
  }

  /**
   * The current sample standard deviation of feature `j` (0 before two distinct values; 1 for
   * an unscaled column).
   */
  sd(j: number): number {
    if (this.#scaled[j] === 0) return 1;
    const v = this.#m2[j];
    return v > 0 ? Math.sqrt(v / (this.#count - 1)) : 0;
  }

  /** The plain JSON-able state (doubles round-trip exactly through JSON). */
  toJSON(): StandardizerState {
    return {
      count: this.#count,
      mean: Array.from(this.#mean),
      m2: Array.from(this.#m2),
      scale: Array.from(this.#scale),
      ...(this.#unscaled.length === 0 ? {} : { unscaled: [...this.#unscaled] }),
    };
  }

  /** An independent copy (`fromJSON(toJSON())`, its arrays copied as they are). */
  clone(): Standardizer {
    const s = new Standardizer(this.width, this.#unscaled);
    s.#count = this.#count;
    s.#mean.set(this.#mean);
    s.#m2.set(this.#m2);
    s.#scale.set(this.#scale);
    return s;
  }

  /** Restores a standardizer from {@linkcode Standardizer.toJSON}. */
  static fromJSON(state: StandardizerState): Standardizer {
    if (
      state === null || typeof state !== "object" || !Array.isArray(state.mean) ||
      !Array.isArray(state.m2) || state.mean.length !== state.m2.length ||
      !Array.isArray(state.scale) || state.scale.length !== state.mean.length ||
      !Number.isInteger(state.count) || state.count < 0 ||
      (state.unscaled !== undefined && !Array.isArray(state.unscaled))
    ) {
      throw new TypeError("Cannot restore a Standardizer: the state is malformed.");
    }
    const s = new Standardizer(state.mean.length, state.unscaled ?? []);
    s.#count = state.count;
    s.#mean.set(state.mean);
    s.#m2.set(state.m2);
    s.#scale.set(state.scale);
    return s;
  }
}
