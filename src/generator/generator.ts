/**
 * What every load-generator profile offers: a seedable, shardable stream of wire events that
 * also tells, for the event it last returned, the exact probability of each action it drew that
 * event's action from — so evaluation can report the best possible (Bayes) figures beside a
 * model's. Implemented by {@linkcode SessionGenerator} (`original`, the original project's
 * signal) and {@linkcode FunnelGenerator} (`funnel`, a shop's page-to-page funnel with daily and
 * weekly cycles); `create_generator.ts` builds either by name.
 *
 * @module
 */

import type { WireEvent } from "../events/wire.ts";

/** The generator profiles, by name (`--profile`); the first is the default. */
export const PROFILES = ["original", "funnel"] as const;

/** One of {@linkcode PROFILES}. */
export type Profile = typeof PROFILES[number];

/** The default profile: the original project's signal. */
export const DEFAULT_PROFILE: Profile = "original";

/** A seedable event generator; the getters describe the event last returned by `next()`. */
export interface Generator {
  /** Generates the next event (a fresh object). */
  next(): WireEvent;
  /** The true probability that the last event is a purchase. */
  readonly probability: number;
  /**
   * The true probability of each action of the last event, in the order of `ACTIONS`
   * (`click`, `view`, `scroll`, `purchase`); they sum to 1. The same preallocated array every
   * time, overwritten by the next `next()`: copy what you keep.
   */
  readonly actionProbabilities: Float64Array;
  /** The last event's position in its session (1-based, this event included). */
  readonly position: number;
  /** Whether the last event started a new session. */
  readonly startedSession: boolean;
  /** How many events this generator has produced. */
  readonly generated: number;
}
