/**
 * Concept-drift detection over the prequential per-event log loss: the Page-Hinkley test
 * (Page 1954; Hinkley 1971; as in Gama et al. 2013, "On evaluating stream learning algorithms"),
 * two-sided: it signals a lasting change of the mean loss in either direction. Each event's loss
 * is that of the score the model gave before learning from it.
 *
 * Why both directions: a stale model's loss rises when the concept changes, but an adaptive
 * learner (AdaGrad) corrects its intercept within about a thousand events, so the rise is short,
 * while the new concept's loss level differs for good. On the generator's drift (the purchase
 * probability falls with position instead of rising) purchases become rarer, the best possible
 * loss falls from 0.57 to about 0.41, and the model's loss falls with it: a fall of 0.1–0.15
 * nats per event, sustained, is the clear signal there; the short rise alone is too weak to
 * separate from noise over 1M events.
 *
 * Per event `x` (the log loss): `mean` is the running mean of the losses since the last
 * (re)start, `up += x − mean − delta` with `upMin = min(upMin, up)`, `down += x − mean + delta`
 * with `downMax = max(downMax, down)`; a drift is signalled when `up − upMin` or
 * `downMax − down` exceeds `threshold`, after at least `minEvents` events. On a drift the
 * statistics restart, so the next drift is judged against the new level.
 *
 * Defaults (tuned by `bench/drift.ts` on the generator's stream, batches of 10k, 1M–1.5M events
 * before the drift): `delta 0.05`, `threshold 120`, `minEvents 5000`. Before the drift the
 * statistic stayed between 22 and 26 at most on each of 10 seeds (a margin of about 5×; a
 * per-event loss has a standard deviation of about 0.45); after it, it passed 120 some
 * 4,500–6,100 events later (adagrad; ftrl the same), well within the 20,000 the product asks for.
 * `delta` is the change per event tolerated as noise (slow wander of the loss level, a model
 * still converging); `threshold` is the accumulated deviation (in nats) that counts as a drift.
 * Meant for the per-event modes: `seed` mode's per-batch model swings too much for these
 * defaults (the Learner leaves detection off there).
 *
 * Pure computation, deterministic per event (batch boundaries do not matter), serializable to
 * a plain JSON-able object that restores exactly.
 *
 * @example
 * ```ts
 * const detector = new DriftDetector();
 * for (const loss of losses) if (detector.update(loss)) console.log("drift");
 * const state = JSON.stringify(detector.toJSON()); // into the checkpoint
 * const again = DriftDetector.fromJSON(JSON.parse(state));
 * ```
 *
 * @module
 */

import type { FeatureBatch } from "./feature_batch.ts";
import { logLoss } from "./logistic.ts";

/** What the learner does when a drift is detected (see `LogisticModel.adapt`). */
export const ON_DRIFT = ["none", "boost", "reset"] as const;

/** One of {@linkcode ON_DRIFT}. */
export type OnDrift = typeof ON_DRIFT[number];

/** Options of {@linkcode DriftDetector}. */
export interface DriftDetectorOptions {
  /** Rise of the mean per-event loss tolerated as noise (nats per event). Default `0.05`. */
  delta?: number;
  /** Accumulated excess loss (nats) that signals a drift. Default `120`. */
  threshold?: number;
  /** Events after a (re)start before a drift can be signalled. Default `5000`. */
  minEvents?: number;
  /** Which changes of the mean loss to signal: `up`, `down` or `both`. Default `"both"`. */
  direction?: "up" | "down" | "both";
}

/** The resolved options of {@linkcode DriftDetector}. */
export type DriftDetectorConfig = Required<DriftDetectorOptions>;

/** The plain JSON-able state of a {@linkcode DriftDetector}. */
export interface DriftDetectorState {
  /** The state's format version. */
  version: 1;
  /** The detector's name. */
  detector: "page-hinkley";
  /** The resolved options. */
  config: DriftDetectorConfig;
  /** Events seen in total. */
  events: number;
  /** Drifts signalled in total. */
  drifts: number;
  /** Event index (0-based, in `events`) of the last drift, or `null`. */
  lastDriftAt: number | null;
  /** Events since the last (re)start. */
  count: number;
  /** Running mean of the losses since the last (re)start. */
  mean: number;
  /** Cumulative deviation above the mean (less `delta`), for rises. */
  up: number;
  /** Least `up` since the last (re)start. */
  upMin: number;
  /** Cumulative deviation below the mean (plus `delta`), for falls. */
  down: number;
  /** Greatest `down` since the last (re)start. */
  downMax: number;
}

/** The defaults of {@linkcode DriftDetectorOptions}. */
export const DRIFT_DEFAULTS: DriftDetectorConfig = Object.freeze({
  delta: 0.05,
  threshold: 120,
  minEvents: 5000,
  direction: "both",
});

/** The Page-Hinkley drift detector; see the module documentation. */
export class DriftDetector {
  /** The detector's name, for markers and metrics. */
  readonly name = "page-hinkley";
  /** The resolved options. */
  readonly config: DriftDetectorConfig;
  #events = 0;
  #drifts = 0;
  #lastDriftAt: number | null = null;
  #count = 0;
  #mean = 0;
  #up = 0;
  #upMin = 0;
  #down = 0;
  #downMax = 0;

  /**
   * Creates a detector that has seen no event.
   *
   * @param options see {@linkcode DriftDetectorOptions}
   */
  constructor(options: DriftDetectorOptions = {}) {
    this.config = {
      delta: options.delta ?? DRIFT_DEFAULTS.delta,
      threshold: options.threshold ?? DRIFT_DEFAULTS.threshold,
      minEvents: options.minEvents ?? DRIFT_DEFAULTS.minEvents,
      direction: options.direction ?? DRIFT_DEFAULTS.direction,
    };
    const { delta, threshold, minEvents, direction } = this.config;
    if (direction !== "up" && direction !== "down" && direction !== "both") {
      throw new RangeError(
        `Cannot create a DriftDetector with direction ${
          JSON.stringify(direction)
        }: expected up, down or both.`,
      );
    }
    if (!(delta >= 0 && Number.isFinite(delta))) {
      throw new RangeError(`Cannot create a DriftDetector with delta ${delta}: expected ≥ 0.`);
    }
    if (!(threshold > 0 && Number.isFinite(threshold))) {
      throw new RangeError(
        `Cannot create a DriftDetector with threshold ${threshold}: expected a positive number.`,
      );
    }
    if (!Number.isInteger(minEvents) || minEvents < 1) {
      throw new RangeError(
        `Cannot create a DriftDetector with minEvents ${minEvents}: expected an integer ≥ 1.`,
      );
    }
  }

  /** Events seen in total. */
  get events(): number {
    return this.#events;
  }

  /** Drifts signalled in total. */
  get drifts(): number {
    return this.#drifts;
  }

  /** Event index (0-based) of the last drift signalled, or `null`. */
  get lastDriftAt(): number | null {
    return this.#lastDriftAt;
  }

  /**
   * The test statistic (0 right after a restart): the larger of `up − upMin` and
   * `downMax − down` among the watched directions; a drift fires above `threshold`.
   */
  get statistic(): number {
    const dir = this.config.direction;
    const up = dir === "down" ? 0 : this.#up - this.#upMin;
    const down = dir === "up" ? 0 : this.#downMax - this.#down;
    return up > down ? up : down;
  }

  /** The running mean loss since the last (re)start. */
  get mean(): number {
    return this.#mean;
  }

  /**
   * Adds one event's loss; returns `true` when it signals a drift (the statistics then restart).
   * A loss that is not a finite number ≥ 0 is ignored (returns `false`).
   */
  update(loss: number): boolean {
    if (!(loss >= 0 && loss < Infinity)) return false;
    const index = this.#events++;
    const n = ++this.#count;
    const mean = this.#mean + (loss - this.#mean) / n;
    this.#mean = mean;
    const delta = this.config.delta;
    const up = this.#up + loss - mean - delta;
    this.#up = up;
    if (up < this.#upMin) this.#upMin = up;
    const down = this.#down + loss - mean + delta;
    this.#down = down;
    if (down > this.#downMax) this.#downMax = down;
    if (n >= this.config.minEvents && this.statistic > this.config.threshold) {
      this.#drifts++;
      this.#lastDriftAt = index;
      this.reset();
      return true;
    }
    return false;
  }

  /**
   * {@linkcode DriftDetector.update} of `losses[0 .. n)` in order; pushes onto `found` the indices
   * at which a drift was signalled.
   */
  updateAll(losses: Float64Array, n: number, found: number[]): void {
    for (let i = 0; i < n; i++) if (this.update(losses[i])) found.push(i);
  }

  /**
   * Adds the log loss of every event of `batch` (its pre-learning `scores` against `labels`), in
   * order; returns the indices within the batch where a drift was signalled (usually none).
   */
  updateBatch(batch: FeatureBatch): number[] {
    const found: number[] = [];
    const scores = batch.scores, labels = batch.labels;
    for (let i = 0; i < batch.length; i++) {
      if (this.update(logLoss(scores[i], labels[i]))) found.push(i);
    }
    return found;
  }

  /** Restarts the statistics (not the totals), as after a drift or a model reset. */
  reset(): void {
    this.#count = 0;
    this.#mean = 0;
    this.#up = 0;
    this.#upMin = 0;
    this.#down = 0;
    this.#downMax = 0;
  }

  /** The plain JSON-able state. */
  toJSON(): DriftDetectorState {
    return {
      version: 1,
      detector: "page-hinkley",
      config: { ...this.config },
      events: this.#events,
      drifts: this.#drifts,
      lastDriftAt: this.#lastDriftAt,
      count: this.#count,
      mean: this.#mean,
      up: this.#up,
      upMin: this.#upMin,
      down: this.#down,
      downMax: this.#downMax,
    };
  }

  /** Restores a detector from {@linkcode DriftDetector.toJSON}'s output. */
  static fromJSON(state: DriftDetectorState): DriftDetector {
    if (
      state === null || typeof state !== "object" || state.version !== 1 ||
      state.detector !== "page-hinkley"
    ) {
      throw new TypeError(
        "Cannot restore a DriftDetector: the state is not a version-1 page-hinkley state.",
      );
    }
    const numbers = [
      state.events,
      state.drifts,
      state.count,
      state.mean,
      state.up,
      state.upMin,
      state.down,
      state.downMax,
    ];
    if (!numbers.every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new TypeError("Cannot restore a DriftDetector: the state is malformed.");
    }
    const d = new DriftDetector(state.config);
    d.#events = state.events;
    d.#drifts = state.drifts;
    d.#lastDriftAt = state.lastDriftAt ?? null;
    d.#count = state.count;
    d.#mean = state.mean;
    d.#up = state.up;
    d.#upMin = state.upMin;
    d.#down = state.down;
    d.#downMax = state.downMax;
    return d;
  }
}
