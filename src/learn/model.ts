/**
 * The purchase-propensity model: logistic regression over online-standardized features, in one
 * of three modes — `adagrad` (per-event, per-coordinate rates; the default), `ftrl` (per-event
 * FTRL-Proximal) and `seed` (the original's per-batch learner). On the generator's stream
 * (`clickstream quality`, 1M events) `adagrad` and `ftrl` tie on prequential log loss (about
 * 0.25% above the Bayes figure) and `seed` is far behind; `adagrad` updates about 1.5× faster
 * than `ftrl` (one square root per coordinate instead of two), hence the default. The model owns the
 * {@linkcode Standardizer} and the optimizer, carries the feature names with its weights, and
 * serializes to a plain JSON-able object that restores bit for bit.
 *
 * Prequential by construction: {@linkcode LogisticModel.processBatch} writes each event's score
 * *before* learning from it. For the per-event modes each event is standardized (statistics
 * updated with its row, which holds no label), scored, then learnt, in input order — so the
 * weights after a stream are bitwise the same whatever the batch boundaries were, the basis of
 * exactly-once updates by replay.
 *
 * A feature set with hashed url features gives rows a sparse part (`sparseWidth` coordinates,
 * `FeatureBatch.sparseIndex`/`sparseValue`): never standardized, learnt by `adagrad` and `ftrl`
 * through updates that touch only a row's nonzero entries; `seed` learns from the dense part
 * alone. A feature set's bounded features (`unscaled`) skip the standardizer.
 *
 * @module
 */

import { AdaGrad, type AdaGradState } from "./adagrad.ts";
import type { FeatureBatch } from "./feature_batch.ts";
import type { OnDrift } from "./drift.ts";
import { Ftrl, type FtrlState } from "./ftrl.ts";
import { dot, logLoss, logLosses, sigmoid } from "./logistic.ts";
import { SeedLearner, type SeedState } from "./seed.ts";
import { Standardizer } from "./standardizer.ts";
import { checkSparseIndices, largestWeights, type SparseWeight } from "./sparse_weights.ts";
import {
  type Coefficients,
  DEFAULT_MODE,
  type Mode,
  type ModelOptions,
  type ModelState,
  MODES,
  type ProcessOptions,
} from "./model_options.ts";

export type { SparseWeight } from "./sparse_weights.ts";
export {
  type Coefficients,
  DEFAULT_MODE,
  type Mode,
  type ModelOptions,
  type ModelState,
  MODES,
  PER_EVENT_MODES,
  type PerEventMode,
  type ProcessOptions,
} from "./model_options.ts";

type Optimizer = AdaGrad | Ftrl | SeedLearner;

/** Logistic regression with online standardization, in one of three modes. */
export class LogisticModel {
  /** The learning mode. */
  readonly mode: Mode;
  /** The feature names, in row order. */
  readonly featureNames: readonly string[];
  /** Number of features. */
  readonly width: number;
  /** The purchase class weight (1: unweighted). */
  readonly classWeight: number;
  /** Coordinates of the sparse part (0: none). */
  readonly sparseWidth: number;
  #shift: number;
  #std: Standardizer;
  #opt: Optimizer;
  #events = 0;

  /**
   * Creates a model that has seen no event (its optimizer's weights all 0).
   *
   * @param featureNames names of the row's features, in order (a feature set's `names`)
   * @param options see {@linkcode ModelOptions}
   */
  constructor(featureNames: readonly string[], options: ModelOptions = {}) {
    if (!Array.isArray(featureNames) || featureNames.length === 0) {
      throw new TypeError(
        `Cannot create a LogisticModel with feature names ${
          JSON.stringify(featureNames)
        }: expected a non-empty array.`,
      );
    }
    const mode = options.mode ?? DEFAULT_MODE;
    if (!MODES.includes(mode)) {
      throw new RangeError(
        `Cannot create a LogisticModel in mode ${JSON.stringify(mode)}: expected one of ${
          MODES.join(", ")
        }.`,
      );
    }
    const weight = options.classWeight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight)) || (weight !== 1 && mode !== "adagrad")) {
      throw new RangeError(
        `Cannot create a LogisticModel in mode ${mode} with class weight ${weight}: expected a finite number > 0, and 1 unless the mode is adagrad.`,
      );
    }
    this.classWeight = weight;
    this.#shift = Math.log(weight);
    this.mode = mode;
    this.featureNames = Object.freeze([...featureNames]);
    this.width = featureNames.length;
    const sparse = options.sparseWidth ?? 0;
    if (!Number.isInteger(sparse) || sparse < 0) {
      throw new RangeError(
        `Cannot create a LogisticModel with sparse width ${sparse}: expected an integer ≥ 0.`,
      );
    }
    this.sparseWidth = sparse;
    this.#std = new Standardizer(this.width, options.unscaled);
    this.#opt = mode === "adagrad"
      ? new AdaGrad(this.width, options.adagrad, sparse, options.stepScales ?? null)
      : mode === "ftrl"
      ? new Ftrl(this.width, options.ftrl, sparse, options.stepScales ?? null)
      : new SeedLearner(this.width, options.seed);
  }

  /** Events processed so far. */
  get events(): number {
    return this.#events;
  }

  /**
   * Model updates so far: one per event learnt for the per-event modes; for `seed`, the fit
   * plus one per later two-class batch (the original's "model update #N").
   */
  get updates(): number {
    const opt = this.#opt;
    return opt instanceof SeedLearner ? opt.updates : this.#events;
  }

  /** An independent copy (e.g. frozen into a served snapshot). */
  clone(): LogisticModel {
    const opt = this.#opt;
    // AdaGrad's (the default's) arrays copied as they are, not through JSON arrays.
    if (!(opt instanceof AdaGrad)) return LogisticModel.fromJSON(this.toJSON());
    const { mode, classWeight, sparseWidth } = this;
    const model = new LogisticModel(this.featureNames, { mode, classWeight, sparseWidth });
    model.#std = this.#std.clone();
    model.#opt = opt.clone();
    model.#events = this.#events;
    return model;
  }

  /** The optimizer's resolved hyper-parameters. */
  get config(): Readonly<Record<string, number>> {
    return this.#opt.config;
  }

  /** The standardizer (live; do not mutate). */
  get standardizer(): Standardizer {
    return this.#std;
  }

  /**
   * Scores every event of `batch` into `batch.scores`, then learns from it: per event for
   * `adagrad`/`ftrl` (each score comes from the model before that event), once per batch for
   * `seed` (every score comes from the model before the batch).
   *
   * With `options.drift`, each event's log loss goes to the detector right after the event is
   * learnt; when it signals, the model adapts (`options.onDrift`) before the next event — so,
   * for the per-event modes, the weights still do not depend on batch boundaries. Returns the
   * indices within the batch of the events at which a drift was signalled (usually none).
   *
   * @throws {RangeError} if the batch's width differs from the model's.
   */
  processBatch(batch: FeatureBatch, options: ProcessOptions = {}): number[] {
    const d = this.width;
    if (batch.width !== d) {
      throw new RangeError(
        `Cannot process a batch of width ${batch.width} with a model of ${d} features.`,
      );
    }
    const drift = options.drift;
    const onDrift = options.onDrift ?? "none";
    const factor = options.boostFactor ?? 0;
    const losses = options.losses;
    const found: number[] = [];
    if (batch.sparseWidth !== this.sparseWidth) {
      throw new RangeError(
        `Cannot process a batch of sparse width ${batch.sparseWidth} with a model of ${this.sparseWidth} sparse coordinates.`,
      );
    }
    const n = batch.length, rows = batch.rows, labels = batch.labels, scores = batch.scores;
    if (losses !== undefined && losses.length < n) {
      throw new RangeError(`Cannot write ${n} losses into an array of ${losses.length}.`);
    }
    const si = batch.sparseIndex, sv = batch.sparseValue, se = batch.sparseEnd;
    let s0 = 0;
    if (this.#opt instanceof SeedLearner) {
      this.#opt.processBatch(batch, this.#std);
      if (drift !== undefined) {
        for (let i = 0; i < n; i++) {
          const loss = logLoss(scores[i], labels[i]);
          if (losses !== undefined) losses[i] = loss;
          if (drift.update(loss)) found.push(i);
        }
        if (found.length > 0 && onDrift !== "none") this.adapt(onDrift, factor);
      } else if (losses !== undefined) {
        for (let i = 0; i < n; i++) losses[i] = logLoss(scores[i], labels[i]);
      }
    } else if (this.classWeight !== 1) {
      const std = this.#std, w = this.classWeight, shift = this.#shift;
      let opt = this.#opt as AdaGrad;
      for (let i = 0; i < n; i++) {
        std.update(rows, i * d);
        const e = se[i];
        const p = opt.stepWeighted(std.transform(rows, i * d), labels[i], w, shift, si, sv, s0, e);
        s0 = e;
        scores[i] = p;
        if (drift === undefined && losses === undefined) continue;
        const loss = logLoss(p, labels[i]);
        if (losses !== undefined) losses[i] = loss;
        if (drift !== undefined && drift.update(loss)) {
          found.push(i);
          if (onDrift !== "none") {
            this.adapt(onDrift, factor);
            opt = this.#opt as AdaGrad; // a reset replaces the optimizer
          }
        }
      }
    } else if (this.#opt instanceof AdaGrad) {
      const std = this.#std, { mean, scale } = std.arrays;
      // With no reaction to a drift the detector cannot change the model: it takes the batch's
      // losses after the loop (the same sequence, so the same signals), out of the row loop.
      const after = onDrift === "none" && losses !== undefined ? drift : undefined;
      const inLoop = after === undefined ? drift : undefined;
      let opt = this.#opt.rows();
      for (let i = 0; i < n; i++) {
        std.update(rows, i * d);
        const e = se[i];
        opt.stepInto(scores, i, rows, i * d, mean, scale, labels[i], si, sv, s0, e);
        s0 = e;
        if (inLoop === undefined) continue;
        const loss = logLoss(scores[i], labels[i]);
        if (losses !== undefined) losses[i] = loss;
        if (inLoop.update(loss)) {
          found.push(i);
          if (onDrift !== "none") {
            this.adapt(onDrift, factor);
            opt = (this.#opt as AdaGrad).rows(); // a boost or a reset changes the state
          }
        }
      }
      if (inLoop === undefined && losses !== undefined) logLosses(scores, labels, n, losses);
      after?.updateAll(losses!, n, found);
    } else {
      const std = this.#std;
      let opt = this.#opt as Ftrl;
      for (let i = 0; i < n; i++) {
        std.update(rows, i * d);
        const e = se[i];
        const p = opt.step(std.transform(rows, i * d), labels[i], si, sv, s0, e);
        s0 = e;
        scores[i] = p;
        if (drift === undefined && losses === undefined) continue;
        const loss = logLoss(p, labels[i]);
        if (losses !== undefined) losses[i] = loss;
        if (drift !== undefined && drift.update(loss)) {
          found.push(i);
          if (onDrift !== "none") {
            this.adapt(onDrift, factor);
            opt = this.#opt as Ftrl; // a reset replaces the optimizer
          }
        }
      }
    }
    this.#events += n;
    return found;
  }

  /**
   * Adapts to a drift. `boost` raises the learning rates and keeps the weights: AdaGrad's and
   * FTRL's accumulated squared gradients are multiplied by `factor` (default 0: the per-coordinate
   * rates restart from their initial value and decay again as new gradients accumulate); `reset`
   * starts the optimizer afresh (zero weights, initial rates, same hyper-parameters). The
   * standardizer is kept either way (a concept drift changes labels, not the features). In `seed`
   * mode both make the next two-class batch a full fit again. `none` does nothing.
   */
  adapt(how: OnDrift, factor = 0): void {
    const opt = this.#opt;
    if (how === "none") return;
    if (how !== "boost" && how !== "reset") {
      throw new RangeError(
        `Cannot adapt a LogisticModel with ${JSON.stringify(how)}: expected none, boost or reset.`,
      );
    }
    if (opt instanceof SeedLearner) {
      opt.refit();
    } else if (how === "boost") {
      opt.boost(factor);
    } else {
      this.#opt = opt instanceof AdaGrad
        ? new AdaGrad(this.width, opt.config, this.sparseWidth, opt.stepScales)
        : new Ftrl(this.width, opt.config, this.sparseWidth, opt.stepScales);
    }
  }

  /**
   * The probability of a purchase for one raw feature row `row[0 .. width)` with sparse entries
   * `(index[k], value[k])` (none by default; `seed` ignores them); changes nothing.
   */
  predict(row: Float64Array, index: ArrayLike<number> = [], value: ArrayLike<number> = []): number {
    if (row.length < this.width) {
      throw new RangeError(
        `Cannot predict a row of ${row.length} values with a model of ${this.width} features.`,
      );
    }
    checkSparseIndices(index, this.sparseWidth);
    const x = this.#std.transform(row, 0);
    const opt = this.#opt;
    const z = opt instanceof SeedLearner
      ? dot(opt.weights, x)
      : opt.logit(x, index, value, 0, index.length);
    return sigmoid(z - this.#shift);
  }

  /**
   * The `n` (default 20) sparse weights largest in magnitude, largest first (ties: lower index
   * first); none without a sparse part or in `seed` mode.
   */
  topSparse(n = 20): SparseWeight[] {
    const opt = this.#opt;
    return opt instanceof SeedLearner ? [] : largestWeights(opt.sparseWeights, n);
  }

  /** A copy of the coefficients, standardized and raw. */
  coefficients(): Coefficients {
    const d = this.width, w = this.#opt.weights, std = this.#std;
    const rawWeights: number[] = [];
    let rawIntercept = w[d];
    for (let j = 0; j < d; j++) {
      const r = w[j] * std.scale(j);
      rawWeights.push(r);
      rawIntercept -= r * std.mean(j);
    }
    return {
      names: [...this.featureNames],
      weights: Array.from(w.subarray(0, d)),
      intercept: w[d],
      rawWeights,
      rawIntercept,
    };
  }

  /** The plain JSON-able state (doubles round-trip exactly through `JSON.stringify`/`parse`). */
  toJSON(): ModelState {
    return {
      version: 1,
      mode: this.mode,
      featureNames: [...this.featureNames],
      events: this.#events,
      standardizer: this.#std.toJSON(),
      optimizer: this.#opt.toJSON(),
      ...(this.classWeight === 1 ? {} : { classWeight: this.classWeight }),
      ...(this.sparseWidth === 0 ? {} : { sparseWidth: this.sparseWidth }),
    };
  }

  /** Restores a model from {@linkcode LogisticModel.toJSON}'s output. */
  static fromJSON(state: ModelState): LogisticModel {
    if (
      state === null || typeof state !== "object" || state.version !== 1 ||
      !MODES.includes(state.mode)
    ) {
      throw new TypeError(
        "Cannot restore a LogisticModel: the state is not a version-1 model state.",
      );
    }
    const model = new LogisticModel(state.featureNames, {
      mode: state.mode,
      classWeight: state.classWeight ?? 1,
      sparseWidth: state.sparseWidth ?? 0,
    });
    const std = Standardizer.fromJSON(state.standardizer);
    if (std.width !== model.width) {
      throw new TypeError(
        `Cannot restore a LogisticModel: ${std.width} standardizer columns for ${model.width} features.`,
      );
    }
    const opt = state.mode === "adagrad"
      ? AdaGrad.fromJSON(state.optimizer as AdaGradState)
      : state.mode === "ftrl"
      ? Ftrl.fromJSON(state.optimizer as FtrlState)
      : SeedLearner.fromJSON(state.optimizer as SeedState);
    if (opt.width !== model.width) {
      throw new TypeError(
        `Cannot restore a LogisticModel: ${opt.width} weights for ${model.width} features.`,
      );
    }
    if (!(opt instanceof SeedLearner) && opt.sparseWidth !== model.sparseWidth) {
      throw new TypeError(
        `Cannot restore a LogisticModel: ${opt.sparseWidth} sparse weights for a sparse width of ${model.sparseWidth}.`,
      );
    }
    model.#std = std;
    model.#opt = opt;
    model.#events = state.events;
    return model;
  }
}
