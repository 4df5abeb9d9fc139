/**
 * Point-in-time features of one event: computed only from its session's history strictly
 * before it (held in a {@linkcode SessionStore}) plus the fact and time of its arrival — never
 * from its action, its amount, or any later event. The order per event is fixed: *featurize*
 * (read the store), then the caller scores and learns, then *observe* (write the store);
 * {@linkcode Featurizer.push} does featurize + observe in that order for a batch.
 *
 * Raw quantities, with `k` the event's position in its session (1 for the first event):
 * - position `k`;
 * - seconds since the session's first event, seconds since its previous event (0 for the first);
 * - the original project's `clicks_in_session` (events of the session in the current 5-minute
 *   tumbling event-time window, this one included) and `time_on_page` (seconds from the
 *   window's first event of the session to this one) — counted up to this event, where the
 *   original counted the whole micro-batch, future events included.
 *
 * Features ({@linkcode FEATURE_NAMES}) are transforms of these, chosen so that a logistic model
 * can follow a probability that rises with position and then saturates: `ln k`, `1/k`,
 * `(ln k)²`, `min(k, 100)` (the position itself, capped so that one very long session cannot
 * dominate the standardization), and `ln(1 + x)` of the time quantities. No transform uses
 * knowledge of the generator's constants; on its stream this basis comes within about 0.1% of
 * the Bayes log loss once learnt (an indicator of the first event instead of the capped
 * position: 0.2%; `ln k` alone: 0.7%). Rows are written into caller-owned
 * `Float64Array`s: nothing is allocated per event.
 *
 * @module
 */

import type { WireEvent } from "../events/wire.ts";
import type { FeatureBatch } from "./feature_batch.ts";
import {
  SESSION_FIELDS,
  SessionStore,
  type SessionStoreOptions,
  type SessionStoreState,
  WINDOW_SECONDS,
} from "./session_store.ts";

/** The feature names, in row order; they travel with the model's weights. */
export const FEATURE_NAMES = [
  "log_position",
  "inv_position",
  "log_position_sq",
  "position_capped",
  "log1p_seconds_since_start",
  "log1p_seconds_since_previous",
  "log1p_clicks_in_session",
  "log1p_time_on_page",
] as const;

/** One of {@linkcode FEATURE_NAMES}. */
export type FeatureName = typeof FEATURE_NAMES[number];

/** Number of features per row. */
export const FEATURE_COUNT: number = FEATURE_NAMES.length;

/**
 * The id of this feature set — {@linkcode FEATURE_NAMES} as this file computes them — carried
 * by every row the trainer's featurize stage writes, so that a learn stage can refuse rows it
 * was not built for. A change of a feature's meaning or of the list gets a new id.
 */
export const FEATURE_SET_ID = 1;

const STRIDE = SESSION_FIELDS.length;
/** Cap of the `position_capped` feature. */
export const POSITION_CAP = 100;

/** Options of {@linkcode Featurizer}. */
export interface FeaturizerOptions extends SessionStoreOptions {
  /** An existing store to continue from (e.g. restored from a checkpoint). Default: a new one. */
  store?: SessionStore;
}

/** Turns events into point-in-time feature rows, keeping the session state they need. */
export class Featurizer {
  /** The feature names of the rows this featurizer writes. */
  readonly names: readonly FeatureName[] = FEATURE_NAMES;
  /** The number of values per row. */
  readonly width: number = FEATURE_COUNT;
  #store: SessionStore;

  /** @param options see {@linkcode FeaturizerOptions} and {@linkcode SessionStoreOptions} */
  constructor(options: FeaturizerOptions = {}) {
    this.#store = options.store ??
      new SessionStore({ idleSeconds: options.idleSeconds, maxSessions: options.maxSessions });
  }

  /** The session store (live state; do not mutate). */
  get store(): SessionStore {
    return this.#store;
  }

  /**
   * Writes the event's features into `out[offset .. offset + FEATURE_COUNT)` from what was known
   * before it. Does not change any state: call {@linkcode Featurizer.observe} afterwards.
   */
  featurize(event: WireEvent, out: Float64Array, offset = 0): void {
    this.#write(event, out, offset);
  }

  /** Records the event in the session state (after it was featurized, scored and learnt). */
  observe(event: WireEvent): void {
    this.#store.record(event.session_id, event.timestamp);
  }

  /**
   * Appends the event to `batch`: writes its features into the next row, its label
   * (`action === "purchase"`), then records it in the session state.
   */
  push(event: WireEvent, batch: FeatureBatch): void {
    const i = batch.add();
    this.#write(event, batch.rows, i * batch.width);
    batch.labels[i] = event.action === "purchase" ? 1 : 0;
    this.#store.record(event.session_id, event.timestamp);
  }

  /** The session state as a plain JSON-able object (see {@linkcode SessionStore.toJSON}). */
  toJSON(): SessionStoreState {
    return this.#store.toJSON();
  }

  /** A featurizer continuing from a saved session state. */
  static fromJSON(state: SessionStoreState): Featurizer {
    return new Featurizer({ store: SessionStore.fromJSON(state) });
  }

  #write(event: WireEvent, out: Float64Array, o: number): void {
    const t = event.timestamp;
    const store = this.#store;
    const slot = store.lookup(event.session_id, t);
    let k = 1, sinceStart = 0, sincePrev = 0, clicks = 1, onPage = 0;
    if (slot >= 0) {
      const f = store.slots;
      const s = slot * STRIDE;
      k = f[s + 2] + 1;
      sinceStart = t - f[s];
      sincePrev = t - f[s + 1];
      if (sinceStart < 0) sinceStart = 0;
      if (sincePrev < 0) sincePrev = 0;
      if (Math.floor(t / WINDOW_SECONDS) === f[s + 3]) {
        clicks = f[s + 4] + 1;
        onPage = t - f[s + 5];
        if (onPage < 0) onPage = 0;
      }
    }
    const lk = Math.log(k);
    out[o] = lk;
    out[o + 1] = 1 / k;
    out[o + 2] = lk * lk;
    out[o + 3] = k < POSITION_CAP ? k : POSITION_CAP;
    out[o + 4] = Math.log1p(sinceStart);
    out[o + 5] = Math.log1p(sincePrev);
    out[o + 6] = Math.log1p(clicks);
    out[o + 7] = Math.log1p(onPage);
  }
}
