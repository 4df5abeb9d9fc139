/**
 * Prequential metrics of a multi-class model: each event's pre-learning class probabilities
 * against its class. Cumulative: the mean log loss `−ln p(y)`, the Bayes log loss of the true
 * class probabilities when the source knows them (the generator), the log loss of the constant
 * class frequencies (in hindsight), and the log loss per class. Over a rolling window of the
 * last `window` events: the log loss (and its Bayes figure), the confusion matrix of the most
 * probable class against the true one, and per-class precision and recall from it. All state is
 * typed arrays; adding an event allocates nothing.
 *
 * @module
 */

/** Probabilities are clamped to at least this before the logarithm. */
const P_MIN = 1e-15;

/** Options of {@linkcode MultiClassMetrics}. */
export interface MultiClassMetricsOptions {
  /** Events in the rolling window. Default `100000`. */
  window?: number;
}

/** One class's figures in a {@linkcode MultiClassSnapshot}. */
export interface ClassMetrics {
  /** Events of this class, cumulative. */
  count: number;
  /** Mean `−ln p(class)` over the events of this class, cumulative (`null` before one). */
  logLoss: number | null;
  /** Rolling window: of the events predicted this class, the share that were (`null`: none). */
  precision: number | null;
  /** Rolling window: of the events of this class, the share predicted so (`null`: none). */
  recall: number | null;
}

/** What {@linkcode MultiClassMetrics.snapshot} returns. */
export interface MultiClassSnapshot {
  /** Events measured. */
  events: number;
  /** Mean prequential log loss (`null` before an event). */
  logLoss: number | null;
  /** Mean log loss of the true probabilities, over the events that had them (`null`: none). */
  bayesLogLoss: number | null;
  /** Log loss of predicting the in-hindsight class frequencies for every event. */
  constantLogLoss: number | null;
  /** `(logLoss − bayes) / (constant − bayes)`: the share of the room left open. */
  shareOpen: number | null;
  /** Rolling window figures. */
  rolling: {
    events: number;
    logLoss: number | null;
    bayesLogLoss: number | null;
    /** `confusion[true][predicted]`: counts over the window. */
    confusion: number[][];
    /** Accuracy of the most probable class over the window. */
    accuracy: number | null;
  };
  /** Per class, in class order. */
  classes: ClassMetrics[];
}

/** The plain JSON-able state of a {@linkcode MultiClassMetrics}. */
export interface MultiClassMetricsState {
  /** The state's format version. */
  version: 1;
  /** Number of classes. */
  classes: number;
  /** Events in the rolling window. */
  window: number;
  /** Events seen in total. */
  events: number;
  /** Sum of the events' log losses. */
  loss: number;
  /** Sum of the Bayes log losses, over the events with true probabilities. */
  bayes: number;
  /** Events with true probabilities. */
  bayesEvents: number;
  /** Events per true class. */
  classCount: number[];
  /** Sum of the log losses per true class. */
  classLoss: number[];
  /** The window's ring, oldest first: label, predicted class, loss, Bayes loss (NaN: none). */
  ring: { label: number[]; predicted: number[]; loss: number[]; bayes: number[] };
}

/** Cumulative and rolling multi-class prequential metrics. */
export class MultiClassMetrics {
  /** Number of classes. */
  readonly classes: number;
  /** Events in the rolling window. */
  readonly window: number;
  #events = 0;
  #loss = 0;
  #bayes = 0;
  #bayesEvents = 0;
  #classCount: Float64Array;
  #classLoss: Float64Array;
  #ringLabel: Uint8Array;
  #ringPred: Uint8Array;
  #ringLoss: Float64Array;
  #ringBayes: Float64Array;
  #confusion: Float64Array;

  /**
   * Creates empty metrics.
   *
   * @param classes number of classes
   * @param options see {@linkcode MultiClassMetricsOptions}
   */
  constructor(classes: number, options: MultiClassMetricsOptions = {}) {
    const window = options.window ?? 100_000;
    if (!Number.isInteger(classes) || classes < 2 || classes > 255) {
      throw new RangeError(`Cannot measure ${classes} classes: expected an integer 2..255.`);
    }
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`Cannot measure a window of ${window} events: expected an integer ≥ 1.`);
    }
    this.classes = classes;
    this.window = window;
    this.#classCount = new Float64Array(classes);
    this.#classLoss = new Float64Array(classes);
    this.#ringLabel = new Uint8Array(window);
    this.#ringPred = new Uint8Array(window);
    this.#ringLoss = new Float64Array(window);
    this.#ringBayes = new Float64Array(window);
    this.#confusion = new Float64Array(classes * classes);
  }

  /** Events measured. */
  get events(): number {
    return this.#events;
  }

  /**
   * Adds one event: its predicted probabilities `probs[at .. at + classes)`, its class `label`,
   * and optionally its true probabilities `truth[tat .. tat + classes)` (`NaN` first value:
   * unknown).
   */
  add(probs: Float64Array, at: number, label: number, truth?: Float64Array, tat = 0): void {
    const k = this.classes;
    let pred = 0;
    for (let c = 1; c < k; c++) if (probs[at + c] > probs[at + pred]) pred = c;
    const loss = -Math.log(Math.max(probs[at + label], P_MIN));
    let bayes = NaN;
    if (truth !== undefined && !Number.isNaN(truth[tat])) {
      bayes = -Math.log(Math.max(truth[tat + label], P_MIN));
      this.#bayes += bayes;
      this.#bayesEvents++;
    }
    this.#loss += loss;
    this.#classCount[label]++;
    this.#classLoss[label] += loss;
    const slot = this.#events % this.window;
    if (this.#events >= this.window) {
      this.#confusion[this.#ringLabel[slot] * k + this.#ringPred[slot]]--;
    }
    this.#ringLabel[slot] = label;
    this.#ringPred[slot] = pred;
    this.#ringLoss[slot] = loss;
    this.#ringBayes[slot] = bayes;
    this.#confusion[label * k + pred]++;
    this.#events++;
  }

  /** The figures so far. */
  snapshot(): MultiClassSnapshot {
    const k = this.classes, n = this.#events;
    let constant: number | null = null;
    if (n > 0) {
      let s = 0;
      for (let c = 0; c < k; c++) {
        const m = this.#classCount[c];
        if (m > 0) s -= m * Math.log(m / n);
      }
      constant = s / n;
    }
    const logLoss = n > 0 ? this.#loss / n : null;
    const bayes = this.#bayesEvents > 0 ? this.#bayes / this.#bayesEvents : null;
    const shareOpen = logLoss !== null && bayes !== null && constant !== null &&
        this.#bayesEvents === n && constant > bayes
      ? (logLoss - bayes) / (constant - bayes)
      : null;
    const w = Math.min(n, this.window);
    let rl = 0, rb = 0, rbn = 0;
    for (let i = 0; i < w; i++) {
      rl += this.#ringLoss[i];
      const b = this.#ringBayes[i];
      if (!Number.isNaN(b)) {
        rb += b;
        rbn++;
      }
    }
    const confusion: number[][] = [];
    let correct = 0;
    for (let t = 0; t < k; t++) {
      confusion.push(Array.from(this.#confusion.subarray(t * k, (t + 1) * k)));
      correct += this.#confusion[t * k + t];
    }
    const classes: ClassMetrics[] = [];
    for (let c = 0; c < k; c++) {
      let predicted = 0, actual = 0;
      for (let o = 0; o < k; o++) {
        predicted += this.#confusion[o * k + c];
        actual += this.#confusion[c * k + o];
      }
      const hit = this.#confusion[c * k + c];
      const count = this.#classCount[c];
      classes.push({
        count,
        logLoss: count > 0 ? this.#classLoss[c] / count : null,
        precision: predicted > 0 ? hit / predicted : null,
        recall: actual > 0 ? hit / actual : null,
      });
    }
    return {
      events: n,
      logLoss,
      bayesLogLoss: bayes,
      constantLogLoss: constant,
      shareOpen,
      rolling: {
        events: w,
        logLoss: w > 0 ? rl / w : null,
        bayesLogLoss: rbn > 0 ? rb / rbn : null,
        confusion,
        accuracy: w > 0 ? correct / w : null,
      },
      classes,
    };
  }

  /** The plain JSON-able state (the window's ring oldest first). */
  toJSON(): MultiClassMetricsState {
    const w = Math.min(this.#events, this.window);
    const start = this.#events >= this.window ? this.#events % this.window : 0;
    const ring = {
      label: [] as number[],
      predicted: [] as number[],
      loss: [] as number[],
      bayes: [] as number[],
    };
    for (let i = 0; i < w; i++) {
      const s = (start + i) % this.window;
      ring.label.push(this.#ringLabel[s]);
      ring.predicted.push(this.#ringPred[s]);
      ring.loss.push(this.#ringLoss[s]);
      ring.bayes.push(Number.isNaN(this.#ringBayes[s]) ? -1 : this.#ringBayes[s]);
    }
    return {
      version: 1,
      classes: this.classes,
      window: this.window,
      events: this.#events,
      loss: this.#loss,
      bayes: this.#bayes,
      bayesEvents: this.#bayesEvents,
      classCount: Array.from(this.#classCount),
      classLoss: Array.from(this.#classLoss),
      ring,
    };
  }

  /**
   * Restores metrics from {@linkcode MultiClassMetrics.toJSON}'s output.
   * @throws {TypeError} if the state is not a version-1 multi-class metrics state
   */
  static fromJSON(state: MultiClassMetricsState): MultiClassMetrics {
    if (state === null || typeof state !== "object" || state.version !== 1) {
      throw new TypeError(
        "Cannot restore MultiClassMetrics: the state is not a version-1 metrics state.",
      );
    }
    const m = new MultiClassMetrics(state.classes, { window: state.window });
    const k = m.classes, w = state.ring.label.length;
    const skip = state.events - w;
    for (let i = 0; i < w; i++) {
      const s = (skip + i) % m.window;
      const label = state.ring.label[i], pred = state.ring.predicted[i];
      m.#ringLabel[s] = label;
      m.#ringPred[s] = pred;
      m.#ringLoss[s] = state.ring.loss[i];
      m.#ringBayes[s] = state.ring.bayes[i] < 0 ? NaN : state.ring.bayes[i];
      m.#confusion[label * k + pred]++;
    }
    m.#events = state.events;
    m.#loss = state.loss;
    m.#bayes = state.bayes;
    m.#bayesEvents = state.bayesEvents;
    m.#classCount.set(state.classCount);
    m.#classLoss.set(state.classLoss);
    return m;
  }
}
