/**
 * The logistic-regression arithmetic shared by the optimizers: the numerically safe sigmoid,
 * the log loss, its gradient, and the full-batch fit of `seed` mode's cold start.
 *
 * Weight layout everywhere: `w[0 .. d)` are the feature weights, `w[d]` is the intercept.
 *
 * The full fit is Newton's method (IRLS) with step halving, on the mean log loss plus
 * `l2 / 2 · ‖w‖²` (intercept not penalized), stopped when the largest Newton step component
 * falls below `tolerance` or after `maxIterations`. Its defaults follow PySpark's
 * `LogisticRegression` (the original's `fit()`): `regParam = 0` (no penalty), `maxIter = 100`,
 * intercept fitted. Spark also standardizes internally; the model hands this function rows
 * already standardized, and without a penalty the fitted probabilities do not depend on it.
 *
 * @module
 */

/** Smallest probability used in a log loss, so that a confident miss costs ~34.5, not ∞. */
export const PROBABILITY_FLOOR = 1e-15;

/** `1 / (1 + e^-z)`, without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The log loss of predicting `p` for label `y` (0 or 1), with `p` clamped to [1e-15, 1 − 1e-15]. */
export function logLoss(p: number, y: number): number {
  // PROBABILITY_FLOOR written as a literal: read from the module's binding, the optimizing
  // compiler merged it with `p` as a boxed value, a heap number per call (16 B a row in `learn`).
  const q = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
  return y === 1 ? -Math.log(q) : -Math.log(1 - q);
}

/** `losses[i] = logLoss(scores[i], labels[i])` for `i` in `[0, n)`. */
export function logLosses(
  scores: Float64Array,
  labels: Uint8Array,
  n: number,
  losses: Float64Array,
): void {
  for (let i = 0; i < n; i++) losses[i] = logLoss(scores[i], labels[i]);
}

/** `w · rows[offset ..] + intercept` over `w.length - 1` features (internal to the full fit). */
function rowMargin(w: Float64Array, rows: Float64Array, offset: number): number {
  const d = w.length - 1;
  let z = w[d];
  for (let j = 0; j < d; j++) z += w[j] * rows[offset + j];
  return z;
}

/**
 * The margin `w[0..d) · x[0..d) + w[d]` for weights `w` of length `d + 1` (intercept last),
 * summed in two interleaved partial sums (even and odd indices), which halves the dependency
 * chain of the per-event optimizers' hot loop. The summation order is fixed, so results are
 * deterministic.
 */
export function dot(w: Float64Array, x: Float64Array): number {
  const d = w.length - 1;
  let a = w[d], b = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    a += w[j] * x[j];
    b += w[j + 1] * x[j + 1];
  }
  if (j < d) a += w[j] * x[j];
  return a + b;
}

/**
 * The logit of a standardized row: {@linkcode dot} of the dense weights `w` and `x`, then the
 * sparse entries `index[start .. end)`, `value[start .. end)` against `sparse` in that order
 * (none when `start === end`). AdaGrad's and FTRL's scores.
 */
export function sparseLogit(
  w: Float64Array,
  sparse: Float64Array,
  x: Float64Array,
  index: ArrayLike<number> | undefined,
  value: ArrayLike<number> | undefined,
  start: number,
  end: number,
): number {
  let z = dot(w, x);
  for (let k = start; k < end; k++) z += sparse[index![k]] * value![k];
  return z;
}

/**
 * The gradient with respect to `w` (length `d + 1`, intercept last) of the log loss of one
 * example `x` (length `d`) with label `y`: `(σ(w·x + b) − y) · [x, 1]`, and the prediction
 * `p = σ(w·x + b)`. A reference for tests; the optimizers inline it.
 */
export function gradient(
  w: Float64Array,
  example: { x: Float64Array; y: number },
): { p: number; g: Float64Array } {
  const { x, y } = example;
  const d = w.length - 1;
  const p = sigmoid(dot(w, x));
  const g = new Float64Array(d + 1);
  for (let j = 0; j < d; j++) g[j] = (p - y) * x[j];
  g[d] = p - y;
  return { p, g };
}

/** The data of a full fit: `length` rows of `width` values, packed row-major. */
export interface FitData {
  /** `length × width` values, row-major. */
  rows: Float64Array;
  /** The rows' labels, 0 or 1. */
  labels: Uint8Array;
  /** Rows. */
  length: number;
  /** Values per row. */
  width: number;
}

/** Options of {@linkcode fitLogistic}. */
export interface FitOptions {
  /** L2 penalty `l2 / 2 · ‖w‖²` on the mean loss, intercept excluded. Default `0` (Spark's `regParam`). */
  l2?: number;
  /** Newton iterations at most. Default `100` (Spark's `maxIter`). */
  maxIterations?: number;
  /** Stop when every component of the Newton step is below this. Default `1e-10`. */
  tolerance?: number;
}

/** The result of {@linkcode fitLogistic}. */
export interface FitResult {
  /** Weights, intercept last. */
  weights: Float64Array;
  /** Newton iterations done. */
  iterations: number;
  /** Whether the step fell below the tolerance. */
  converged: boolean;
}

function objective(data: FitData, w: Float64Array, l2: number): number {
  const { rows, labels, length: n, width: d } = data;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const z = rowMargin(w, rows, i * d);
    // log(1 + e^z) - y z, stable
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    sum += softplus - (labels[i] === 1 ? z : 0);
  }
  let pen = 0;
  for (let j = 0; j < d; j++) pen += w[j] * w[j];
  return sum / n + 0.5 * l2 * pen;
}

/** Solves `A x = b` in place (`b` becomes `x`) for symmetric positive definite `A` (m × m). */
function choleskySolve(a: Float64Array, b: Float64Array, m: number): boolean {
  for (let j = 0; j < m; j++) {
    let s = a[j * m + j];
    for (let k = 0; k < j; k++) s -= a[j * m + k] * a[j * m + k];
    if (!(s > 0)) return false;
    const l = Math.sqrt(s);
    a[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let t = a[i * m + j];
      for (let k = 0; k < j; k++) t -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = t / l;
    }
  }
  for (let i = 0; i < m; i++) {
    let t = b[i];
    for (let k = 0; k < i; k++) t -= a[i * m + k] * b[k];
    b[i] = t / a[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let t = b[i];
    for (let k = i + 1; k < m; k++) t -= a[k * m + i] * b[k];
    b[i] = t / a[i * m + i];
  }
  return true;
}

/**
 * Fits a logistic regression to convergence by Newton's method (see the module doc).
 *
 * @throws {RangeError} if the data is empty or an option is out of range.
 */
export function fitLogistic(data: FitData, options: FitOptions = {}): FitResult {
  const l2 = options.l2 ?? 0;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  const { rows, labels, length: n, width: d } = data;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot fit a logistic regression to ${n} rows: expected at least one.`);
  }
  if (!(l2 >= 0)) throw new RangeError(`Cannot fit with l2 ${l2}: expected a number ≥ 0.`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(
      `Cannot fit with maxIterations ${maxIterations}: expected an integer ≥ 1.`,
    );
  }
  const m = d + 1;
  const w = new Float64Array(m);
  const trial = new Float64Array(m);
  const g = new Float64Array(m);
  const h = new Float64Array(m * m);
  const x = new Float64Array(m);
  let f = objective(data, w, l2);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    g.fill(0);
    h.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      for (let j = 0; j < d; j++) x[j] = rows[o + j];
      x[d] = 1;
      const p = sigmoid(rowMargin(w, rows, o));
      const r = p - labels[i];
      const s = p * (1 - p);
      for (let j = 0; j < m; j++) {
        g[j] += r * x[j];
        const sx = s * x[j];
        for (let k = 0; k <= j; k++) h[j * m + k] += sx * x[k];
      }
    }
    for (let j = 0; j < m; j++) {
      g[j] /= n;
      for (let k = 0; k <= j; k++) {
        h[j * m + k] /= n;
        h[k * m + j] = h[j * m + k];
      }
    }
    for (let j = 0; j < d; j++) {
      g[j] += l2 * w[j];
      h[j * m + j] += l2;
    }
    // g becomes the Newton step; a singular Hessian (a constant column) gets a tiny ridge.
    let ok = choleskySolve(h.slice(), g, m);
    if (!ok) {
      for (let j = 0; j < m; j++) h[j * m + j] += 1e-10 * (1 + h[j * m + j]);
      ok = choleskySolve(h, g, m);
      if (!ok) break;
    }
    let step = 0;
    for (let j = 0; j < m; j++) step = Math.max(step, Math.abs(g[j]));
    let t = 1;
    let ft = Infinity;
    for (let halvings = 0; halvings < 40; halvings++) {
      for (let j = 0; j < m; j++) trial[j] = w[j] - t * g[j];
      ft = objective(data, trial, l2);
      if (ft <= f) break;
      t /= 2;
    }
    if (!(ft <= f)) {
      converged = step < tolerance;
      break;
    }
    w.set(trial);
    f = ft;
    if (step * t < tolerance) {
      converged = true;
      break;
    }
  }
  return { weights: w, iterations, converged };
}
