/**
 * Multi-class (softmax) regression over online-standardized features, learnt per event by
 * AdaGrad: the next action's class (an index into `ACTIONS`: click, view, scroll, purchase).
 * The weights live in one `Float64Array`, a row of `width + 1` per class (intercept last), the
 * per-coordinate accumulated squared gradients in another of the same shape; a step allocates
 * nothing. Prequential like the binary model: each event is standardized (statistics updated
 * with its row, which holds no label), scored, then learnt, in input order — so the weights
 * after a stream are bitwise the same whatever the batch boundaries were.
 *
 * @module
 */

import type { AdaGradConfig, AdaGradOptions } from "./adagrad.ts";
import { Standardizer, type StandardizerState } from "./standardizer.ts";

/** The plain JSON-able state of a {@linkcode SoftmaxModel}. */
export interface SoftmaxState {
  /** The state's format version. */
  version: 1;
  /** Number of classes. */
  classes: number;
  /** The feature names, in row order. */
  featureNames: string[];
  /** Events processed. */
  events: number;
  /** The resolved AdaGrad options. */
  config: AdaGradConfig;
  /** The online standardizer. */
  standardizer: StandardizerState;
  /** `classes` rows of `width + 1` weights, intercept last. */
  weights: number[];
  /** The accumulated squared gradients, same shape as `weights`. */
  accumulators: number[];
}

/** Softmax regression with online standardization and per-coordinate AdaGrad rates. */
export class SoftmaxModel {
  /** Number of classes. */
  readonly classes: number;
  /** The feature names, in row order. */
  readonly featureNames: readonly string[];
  /** Number of features. */
  readonly width: number;
  /** The resolved AdaGrad options. */
  readonly config: AdaGradConfig;
  /** Weights, a row of `width + 1` per class, intercept last (live; do not mutate). */
  readonly weights: Float64Array;
  #acc: Float64Array;
  #std: Standardizer;
  #events = 0;
  #p: Float64Array;

  /**
   * Creates an all-zero model that has seen no event.
   *
   * @param featureNames names of the row's features, in order
   * @param classes number of classes (≥ 2)
   * @param options AdaGrad options (see {@linkcode AdaGradOptions} for their defaults)
   * @throws {RangeError} on fewer than two classes or a bad option
   */
  constructor(featureNames: readonly string[], classes: number, options: AdaGradOptions = {}) {
    if (!Array.isArray(featureNames) || featureNames.length === 0) {
      throw new TypeError(
        `Cannot create a SoftmaxModel with feature names ${
          JSON.stringify(featureNames)
        }: expected a non-empty array.`,
      );
    }
    if (!Number.isInteger(classes) || classes < 2) {
      throw new RangeError(
        `Cannot create a SoftmaxModel of ${classes} classes: expected an integer ≥ 2.`,
      );
    }
    this.config = {
      learningRate: options.learningRate ?? 0.2,
      l2: options.l2 ?? 0,
      epsilon: options.epsilon ?? 1e-8,
    };
    for (const [k, v] of Object.entries(this.config)) {
      if (!(v >= 0 && Number.isFinite(v))) {
        throw new RangeError(
          `Cannot create a SoftmaxModel with ${k} ${v}: expected a finite number ≥ 0.`,
        );
      }
    }
    this.classes = classes;
    this.featureNames = Object.freeze([...featureNames]);
    this.width = featureNames.length;
    this.weights = new Float64Array(classes * (this.width + 1));
    this.#acc = new Float64Array(classes * (this.width + 1));
    this.#std = new Standardizer(this.width);
    this.#p = new Float64Array(classes);
  }

  /** Events processed so far. */
  get events(): number {
    return this.#events;
  }

  /** The standardizer (live; do not mutate). */
  get standardizer(): Standardizer {
    return this.#std;
  }

  /** Writes the class probabilities of the standardized row `x` into `out[at .. at + classes)`. */
  #probabilities(x: Float64Array, out: Float64Array, at: number): void {
    const w = this.weights, d = this.width, k = this.classes, s = d + 1;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const o = c * s;
      let z = w[o + d];
      for (let j = 0; j < d; j++) z += w[o + j] * x[j];
      out[at + c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(out[at + c] - max);
      out[at + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[at + c] /= sum;
  }

  /**
   * Scores each of the `n` raw rows of `rows` (row-major, `width` per row) into
   * `probs[i * classes ..]`, then learns from its class `labels[i]`, in order.
   *
   * @throws {RangeError} on a label that is not a class
   */
  processBatch(rows: Float64Array, n: number, labels: Uint8Array, probs: Float64Array): void {
    const d = this.width, k = this.classes, s = d + 1, std = this.#std;
    const w = this.weights, acc = this.#acc;
    const { learningRate, l2, epsilon } = this.config;
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (y >= k) {
        throw new RangeError(`Cannot learn class ${y} with a model of ${k} classes.`);
      }
      std.update(rows, i * d);
      const x = std.transform(rows, i * d);
      const at = i * k;
      this.#probabilities(x, probs, at);
      for (let c = 0; c < k; c++) {
        const r = probs[at + c] - (c === y ? 1 : 0);
        const o = c * s;
        for (let j = 0; j < d; j++) {
          const g = r * x[j] + l2 * w[o + j];
          const a = acc[o + j] + g * g;
          acc[o + j] = a;
          w[o + j] -= learningRate * g / (epsilon + Math.sqrt(a));
        }
        const a = acc[o + d] + r * r;
        acc[o + d] = a;
        w[o + d] -= learningRate * r / (epsilon + Math.sqrt(a));
      }
    }
    this.#events += n;
  }

  /**
   * The class probabilities of one raw feature row `row[0 .. width)`, into `out` (a fresh array
   * when not given); changes nothing.
   */
  predict(row: Float64Array, out: Float64Array = new Float64Array(this.classes)): Float64Array {
    if (row.length < this.width) {
      throw new RangeError(
        `Cannot predict a row of ${row.length} values with a model of ${this.width} features.`,
      );
    }
    this.#probabilities(this.#std.transform(row, 0), this.#p, 0);
    out.set(this.#p);
    return out;
  }

  /** An independent copy. */
  clone(): SoftmaxModel {
    return SoftmaxModel.fromJSON(this.toJSON());
  }

  /** The plain JSON-able state (doubles round-trip exactly through JSON). */
  toJSON(): SoftmaxState {
    return {
      version: 1,
      classes: this.classes,
      featureNames: [...this.featureNames],
      events: this.#events,
      config: { ...this.config },
      standardizer: this.#std.toJSON(),
      weights: Array.from(this.weights),
      accumulators: Array.from(this.#acc),
    };
  }

  /**
   * Restores a model from {@linkcode SoftmaxModel.toJSON}'s output.
   * @throws {TypeError} if the state is not a version-1 softmax state of consistent shape
   */
  static fromJSON(state: SoftmaxState): SoftmaxModel {
    if (state === null || typeof state !== "object" || state.version !== 1) {
      throw new TypeError("Cannot restore a SoftmaxModel: the state is not a version-1 state.");
    }
    const m = new SoftmaxModel(state.featureNames, state.classes, state.config);
    const n = m.weights.length;
    if (state.weights?.length !== n || state.accumulators?.length !== n) {
      throw new TypeError(
        `Cannot restore a SoftmaxModel: expected ${n} weights and accumulators, got ${state.weights?.length} and ${state.accumulators?.length}.`,
      );
    }
    const std = Standardizer.fromJSON(state.standardizer);
    if (std.width !== m.width) {
      throw new TypeError(
        `Cannot restore a SoftmaxModel: ${std.width} standardizer columns for ${m.width} features.`,
      );
    }
    m.weights.set(state.weights);
    m.#acc.set(state.accumulators);
    m.#std = std;
    m.#events = state.events;
    return m;
  }
}
