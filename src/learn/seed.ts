/**
 * `seed` mode: the original project's learner, reproduced faithfully so it can be measured
 * beside the per-event modes. Per micro-batch:
 * - every event is scored with the weights from *before* the batch (the original had no model
 *   before its first fit; here that is the all-zero model, probability 0.5);
 * - a batch with a single class is skipped (the original's `process_batch` check);
 * - the first batch with both classes gets a full fit to convergence ({@linkcode fitLogistic}:
 *   Newton's method with PySpark `LogisticRegression` defaults, no penalty) on its rows
 *   standardized with the statistics after the batch (Spark standardizes the fitted data);
 * - every later batch gets exactly one gradient step,
 *   `w ← w − learningRate · (mean gradient + l2 · w)` (intercept not penalized), on at most
 *   `sampleSize` events drawn without replacement by a seeded sampler, from the rows as they
 *   were standardized when scored.
 *
 * @module
 */

import { Random, type RandomState } from "../util/random.ts";
import type { FeatureBatch } from "./feature_batch.ts";
import { dot, fitLogistic, sigmoid } from "./logistic.ts";
import type { Standardizer } from "./standardizer.ts";

/** Options of {@linkcode SeedLearner}; defaults are the original's. */
export interface SeedOptions {
  /** Learning rate of the per-batch step. Default `0.05`. */
  learningRate?: number;
  /** L2 penalty of the per-batch step. Default `0.01`. */
  l2?: number;
  /** Events sampled per step, at most. Default `5000`. */
  sampleSize?: number;
  /** Seed of the sampler. Default `42`. */
  sampleSeed?: number;
  /** L2 of the cold-start fit. Default `0` (Spark's `regParam`). */
  fitL2?: number;
  /** Newton iterations of the cold-start fit, at most. Default `100`. */
  fitMaxIterations?: number;
  /** Newton step tolerance of the cold-start fit. Default `1e-10`. */
  fitTolerance?: number;
}

/** The resolved options of {@linkcode SeedLearner}. */
export type SeedConfig = Required<SeedOptions>;

/** The plain JSON-able state of a {@linkcode SeedLearner}. */
export interface SeedState {
  /** The resolved options. */
  config: SeedConfig;
  /** Weights, intercept last. */
  weights: number[];
  /** Whether the cold-start fit has happened. */
  fitted: boolean;
  /** Model updates so far (the fit counts as the first). */
  updates: number;
  /** Batches skipped for having a single class. */
  skipped: number;
  /** The sampler's state. */
  sampler: RandomState;
}

/** The original's batch learner over `width` features plus an intercept (`weights[width]`). */
export class SeedLearner {
  /** Number of features. */
  readonly width: number;
  /** The resolved options. */
  readonly config: SeedConfig;
  /** Weights, intercept last (live; do not mutate). */
  readonly weights: Float64Array;
  #fitted = false;
  #updates = 0;
  #skipped = 0;
  #rng: Random;
  #scratch = new Float64Array(0);
  #index = new Int32Array(0);
  #grad: Float64Array;

  /**
   * Creates an all-zero (not fitted) learner.
   *
   * @param width number of features
   * @param options see {@linkcode SeedOptions}
   */
  constructor(width: number, options: SeedOptions = {}) {
    this.width = width;
    this.config = {
      learningRate: options.learningRate ?? 0.05,
      l2: options.l2 ?? 0.01,
      sampleSize: options.sampleSize ?? 5000,
      sampleSeed: options.sampleSeed ?? 42,
      fitL2: options.fitL2 ?? 0,
      fitMaxIterations: options.fitMaxIterations ?? 100,
      fitTolerance: options.fitTolerance ?? 1e-10,
    };
    for (const [k, v] of Object.entries(this.config)) {
      if (!(v >= 0 && Number.isFinite(v))) {
        throw new RangeError(
          `Cannot create a SeedLearner with ${k} ${v}: expected a finite number ≥ 0.`,
        );
      }
    }
    if (!Number.isInteger(this.config.sampleSize) || this.config.sampleSize < 1) {
      throw new RangeError(
        `Cannot create a SeedLearner with sampleSize ${this.config.sampleSize}: expected an integer ≥ 1.`,
      );
    }
    this.weights = new Float64Array(width + 1);
    this.#rng = new Random(this.config.sampleSeed);
    this.#grad = new Float64Array(width + 1);
  }

  /** Whether the cold-start fit has happened. */
  get fitted(): boolean {
    return this.#fitted;
  }

  /** Model updates so far (the fit counts as the first), the original's "model update #N". */
  get updates(): number {
    return this.#updates;
  }

  /** Batches skipped for having a single class. */
  get skipped(): number {
    return this.#skipped;
  }

  /** The probability for a standardized row `x[0 .. width)`. */
  predict(x: Float64Array): number {
    return sigmoid(dot(this.weights, x));
  }

  /**
   * Scores every event of `batch` into `batch.scores` with the current weights (updating the
   * standardizer event by event), then updates the weights once from the batch.
   */
  processBatch(batch: FeatureBatch, standardizer: Standardizer): void {
    const n = batch.length, d = this.width;
    if (n === 0) return;
    if (this.#scratch.length < n * d) this.#scratch = new Float64Array(batch.capacity * d);
    const rows = batch.rows, scratch = this.#scratch, w = this.weights;
    let positives = 0;
    for (let i = 0; i < n; i++) {
      standardizer.update(rows, i * d);
      const x = standardizer.transform(rows, i * d);
      scratch.set(x, i * d);
      batch.scores[i] = sigmoid(dot(w, x));
      positives += batch.labels[i];
    }
    if (positives === 0 || positives === n) {
      this.#skipped++;
      return;
    }
    if (!this.#fitted) {
      for (let i = 0; i < n; i++) {
        scratch.set(standardizer.transform(rows, i * d), i * d);
      }
      const fit = fitLogistic(
        { rows: scratch, labels: batch.labels, length: n, width: d },
        {
          l2: this.config.fitL2,
          maxIterations: this.config.fitMaxIterations,
          tolerance: this.config.fitTolerance,
        },
      );
      w.set(fit.weights);
      this.#fitted = true;
      this.#updates++;
      return;
    }
    const m = Math.min(this.config.sampleSize, n);
    if (this.#index.length < n) this.#index = new Int32Array(batch.capacity);
    const idx = this.#index;
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < m && m < n; i++) {
      const j = i + this.#rng.nextInt(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    const g = this.#grad;
    g.fill(0);
    for (let s = 0; s < m; s++) {
      const i = idx[s];
      const o = i * d;
      let z = w[d];
      for (let j = 0; j < d; j++) z += w[j] * scratch[o + j];
      const r = sigmoid(z) - batch.labels[i];
      for (let j = 0; j < d; j++) g[j] += r * scratch[o + j];
      g[d] += r;
    }
    const { learningRate, l2 } = this.config;
    for (let j = 0; j < d; j++) w[j] -= learningRate * (g[j] / m + l2 * w[j]);
    w[d] -= learningRate * (g[d] / m);
    this.#updates++;
  }

  /** Makes the next two-class batch a full fit again (the cold start), as after a drift. */
  refit(): void {
    this.#fitted = false;
  }

  /** The plain JSON-able state. */
  toJSON(): SeedState {
    return {
      config: { ...this.config },
      weights: Array.from(this.weights),
      fitted: this.#fitted,
      updates: this.#updates,
      skipped: this.#skipped,
      sampler: this.#rng.getState(),
    };
  }

  /** Restores a learner from {@linkcode SeedLearner.toJSON}. */
  static fromJSON(state: SeedState): SeedLearner {
    const n = state?.weights?.length;
    if (!Number.isInteger(n) || n < 1 || typeof state.fitted !== "boolean") {
      throw new TypeError("Cannot restore a SeedLearner: the state is malformed.");
    }
    const o = new SeedLearner(n - 1, state.config);
    o.weights.set(state.weights);
    o.#fitted = state.fitted;
    o.#updates = state.updates;
    o.#skipped = state.skipped;
    o.#rng = Random.fromState(state.sampler);
    return o;
  }
}
