/**
 * Per-event logistic regression by FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View
 * from the Trenches", KDD 2013, Algorithm 1): per-coordinate state `z` and `n` (sum of squared
 * gradients); the weight is recomputed from them before each prediction:
 * `w = 0` if `|z| ≤ l1`, else `−(z − sign(z)·l1) / ((beta + sqrt(n)) / alpha + l2)`.
 * The intercept is treated like a feature with constant value 1 (as in the paper) but is
 * exempt from `l1`/`l2`. Dense over the few features here, allocation-free per step; returns
 * the pre-learning prediction (prequential).
 *
 * A sparse part (`sparseWidth` coordinates, e.g. hashed url buckets) has `z`, `n` and weights of
 * its own (`sparseWeights`); a row's sparse entries are `(index, value)` pairs
 * `index[start .. end)`, `value[start .. end)`, and a step reads and updates only those
 * coordinates (their weight changes only when their `z`, `n` do, so the closed form is
 * recomputed for them alone), with the same `l1`/`l2` as the dense features. Step scales
 * (`StepScales`, `adagrad.ts`) multiply `alpha` per coordinate.
 *
 * @module
 */

import { checkStepScales, scaledRates, type StepScales } from "./adagrad.ts";
import { sigmoid, sparseLogit } from "./logistic.ts";

/** The FTRL-Proximal closed-form weight of one coordinate (0, never −0, when z is 0). */
function weightOf(
  z: number,
  sqrtN: number,
  alpha: number,
  beta: number,
  l1: number,
  l2: number,
): number {
  if (z <= l1 && z >= -l1) return 0;
  return -(z - (z > 0 ? l1 : -l1)) / ((beta + sqrtN) / alpha + l2);
}

/** Options of {@linkcode Ftrl}. */
export interface FtrlOptions {
  /** Learning-rate scale `alpha`. Default `0.2` (best of 0.05–0.5 on the generator stream, 3 seeds). */
  alpha?: number;
  /** Learning-rate smoothing `beta`. Default `1`. */
  beta?: number;
  /** L1 penalty (sparsity). Default `0`. */
  l1?: number;
  /** L2 penalty. Default `0`. */
  l2?: number;
}

/** The resolved options of {@linkcode Ftrl}. */
export type FtrlConfig = Required<FtrlOptions>;

/** The plain JSON-able state of an {@linkcode Ftrl}. */
export interface FtrlState {
  /** The resolved options. */
  config: FtrlConfig;
  /** Per-coordinate `z`, intercept last. */
  z: number[];
  /** Per-coordinate `n` (sum of squared gradients), intercept last. */
  n: number[];
  /** The sparse part's `z`; absent: no sparse part. */
  sparseZ?: number[];
  /** The sparse part's `n`; absent: no sparse part. */
  sparseN?: number[];
  /** The step scales; absent: 1 everywhere. */
  stepScales?: StepScales;
}

/** FTRL-Proximal over `width` features plus an intercept (`weights[width]`). */
export class Ftrl {
  /** Number of features. */
  readonly width: number;
  /** The resolved options. */
  readonly config: FtrlConfig;
  /** Current weights, intercept last (live; do not mutate). */
  readonly weights: Float64Array;
  /** Number of sparse coordinates. */
  readonly sparseWidth: number;
  /** The sparse part's weights (live; do not mutate). */
  readonly sparseWeights: Float64Array;
  #z: Float64Array;
  #n: Float64Array;
  #sz: Float64Array;
  #sn: Float64Array;
  #alpha: Float64Array;
  #sparseAlpha: number;
  /** The step scales, or `null` for 1 everywhere. */
  readonly stepScales: StepScales | null;

  /**
   * Creates an all-zero model.
   *
   * @param width number of features
   * @param options see {@linkcode FtrlOptions}
   * @param sparseWidth number of sparse coordinates (default 0)
   * @param stepScales per-coordinate multipliers of `alpha` (default: none)
   */
  constructor(
    width: number,
    options: FtrlOptions = {},
    sparseWidth = 0,
    stepScales: StepScales | null = null,
  ) {
    if (!Number.isInteger(sparseWidth) || sparseWidth < 0) {
      throw new RangeError(
        `Cannot create Ftrl with sparse width ${sparseWidth}: expected an integer ≥ 0.`,
      );
    }
    this.width = width;
    this.sparseWidth = sparseWidth;
    this.sparseWeights = new Float64Array(sparseWidth);
    this.#sz = new Float64Array(sparseWidth);
    this.#sn = new Float64Array(sparseWidth);
    this.config = {
      alpha: options.alpha ?? 0.2,
      beta: options.beta ?? 1,
      l1: options.l1 ?? 0,
      l2: options.l2 ?? 0,
    };
    for (const [k, v] of Object.entries(this.config)) {
      if (!(v >= 0 && Number.isFinite(v)) || (k === "alpha" && v === 0)) {
        throw new RangeError(
          `Cannot create Ftrl with ${k} ${v}: expected a finite number ≥ 0 (alpha > 0).`,
        );
      }
    }
    this.weights = new Float64Array(width + 1);
    this.#z = new Float64Array(width + 1);
    this.#n = new Float64Array(width + 1);
    this.stepScales = stepScales === null ? null : checkStepScales(stepScales, width);
    const alphas = scaledRates(this.config.alpha, width, this.stepScales);
    this.#alpha = alphas.dense;
    this.#sparseAlpha = alphas.sparse;
  }

  /**
   * The logit of a standardized row `x[0 .. width)` with sparse entries `index[start .. end)`,
   * `value[start .. end)` (none by default).
   */
  logit(
    x: Float64Array,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    return sparseLogit(this.weights, this.sparseWeights, x, index, value, start, end);
  }

  /** The probability for a standardized row (and sparse entries, see {@linkcode Ftrl.logit}). */
  predict(
    x: Float64Array,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    return sigmoid(this.logit(x, index, value, start, end));
  }

  /**
   * Predicts `x` (with its sparse entries, see {@linkcode Ftrl.logit}), then learns from label
   * `y` (0 or 1); returns the prediction.
   */
  step(
    x: Float64Array,
    y: number,
    index?: ArrayLike<number>,
    value?: ArrayLike<number>,
    start = 0,
    end = 0,
  ): number {
    const w = this.weights, zs = this.#z, ns = this.#n, d = this.width, alphas = this.#alpha;
    const { alpha, beta, l1, l2 } = this.config;
    const p = sigmoid(this.logit(x, index, value, start, end));
    const r = p - y;
    for (let j = 0; j < d; j++) {
      const g = r * x[j];
      const n = ns[j];
      const n2 = n + g * g;
      const sn2 = Math.sqrt(n2);
      const a = alphas[j];
      const z = zs[j] + g - (sn2 - Math.sqrt(n)) / a * w[j];
      zs[j] = z;
      ns[j] = n2;
      w[j] = weightOf(z, sn2, a, beta, l1, l2);
    }
    const n = ns[d];
    const n2 = n + r * r;
    const sn2 = Math.sqrt(n2);
    const z = zs[d] + r - (sn2 - Math.sqrt(n)) / alpha * w[d];
    zs[d] = z;
    ns[d] = n2;
    w[d] = weightOf(z, sn2, alpha, beta, 0, 0);
    if (end > start) {
      const sw = this.sparseWeights, szs = this.#sz, sns = this.#sn, a = this.#sparseAlpha;
      for (let k = start; k < end; k++) {
        const j = index![k];
        const g = r * value![k];
        const n = sns[j];
        const n2 = n + g * g;
        const sn2 = Math.sqrt(n2);
        const z = szs[j] + g - (sn2 - Math.sqrt(n)) / a * sw[j];
        szs[j] = z;
        sns[j] = n2;
        sw[j] = weightOf(z, sn2, a, beta, l1, l2);
      }
    }
    return p;
  }

  /**
   * Raises the learning rates after a drift: multiplies every accumulated squared gradient `n`
   * by `factor` (0 = the rates restart) and rewrites `z` so that the weights are kept.
   */
  boost(factor: number): void {
    if (!(factor >= 0 && factor <= 1)) {
      throw new RangeError(`Cannot boost Ftrl by factor ${factor}: expected 0..1.`);
    }
    const { alpha, beta, l1, l2 } = this.config;
    const w = this.weights, zs = this.#z, ns = this.#n, d = this.width, alphas = this.#alpha;
    for (let j = 0; j <= d; j++) {
      ns[j] *= factor;
      const l1j = j === d ? 0 : l1, l2j = j === d ? 0 : l2, aj = j === d ? alpha : alphas[j];
      const wj = w[j];
      zs[j] = wj === 0
        ? Math.max(-l1j, Math.min(l1j, zs[j]))
        : -wj * ((beta + Math.sqrt(ns[j])) / aj + l2j) + (wj < 0 ? l1j : -l1j);
      w[j] = weightOf(zs[j], Math.sqrt(ns[j]), aj, beta, l1j, l2j);
    }
    const sw = this.sparseWeights, szs = this.#sz, sns = this.#sn, sa = this.#sparseAlpha;
    for (let j = 0; j < sw.length; j++) {
      sns[j] *= factor;
      const wj = sw[j];
      szs[j] = wj === 0
        ? Math.max(-l1, Math.min(l1, szs[j]))
        : -wj * ((beta + Math.sqrt(sns[j])) / sa + l2) + (wj < 0 ? l1 : -l1);
      sw[j] = weightOf(szs[j], Math.sqrt(sns[j]), sa, beta, l1, l2);
    }
  }

  /** The plain JSON-able state. */
  toJSON(): FtrlState {
    return {
      config: { ...this.config },
      z: Array.from(this.#z),
      n: Array.from(this.#n),
      ...(this.sparseWidth === 0
        ? {}
        : { sparseZ: Array.from(this.#sz), sparseN: Array.from(this.#sn) }),
      ...(this.stepScales === null ? {} : {
        stepScales: { dense: [...this.stepScales.dense], sparse: this.stepScales.sparse },
      }),
    };
  }

  /** Restores an optimizer from {@linkcode Ftrl.toJSON}; the weights are recomputed from z, n. */
  static fromJSON(state: FtrlState): Ftrl {
    const len = state?.z?.length;
    const m = state?.sparseZ?.length ?? 0;
    if (
      !Number.isInteger(len) || len < 1 || state.n?.length !== len ||
      (state.sparseN?.length ?? 0) !== m
    ) {
      throw new TypeError("Cannot restore Ftrl: the state is malformed.");
    }
    const o = new Ftrl(len - 1, state.config, m, state.stepScales ?? null);
    o.#z.set(state.z);
    o.#n.set(state.n);
    const { alpha, beta, l1, l2 } = o.config;
    if (m > 0) {
      o.#sz.set(state.sparseZ!);
      o.#sn.set(state.sparseN!);
      for (let j = 0; j < m; j++) {
        const sa = o.#sparseAlpha;
        o.sparseWeights[j] = weightOf(o.#sz[j], Math.sqrt(o.#sn[j]), sa, beta, l1, l2);
      }
    }
    const d = o.width;
    for (let j = 0; j < d; j++) {
      o.weights[j] = weightOf(o.#z[j], Math.sqrt(o.#n[j]), o.#alpha[j], beta, l1, l2);
    }
    o.weights[d] = weightOf(o.#z[d], Math.sqrt(o.#n[d]), alpha, beta, 0, 0);
    return o;
  }
}
