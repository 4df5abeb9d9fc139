/**
 * The options of {@linkcode FunnelGenerator} (`funnel_generator.ts`): its seed, its simulated
 * clock (start, mean rate) or an injected one, the share of returning users, the drift and the
 * shard.
 *
 * @module
 */

/** Options of {@linkcode FunnelGenerator}. */
export interface FunnelGeneratorOptions {
  /**
   * Seed of the random stream.
   *
   * @default {42}
   */
  seed?: number;
  /**
   * Simulated clock: the first event's timestamp, integer epoch seconds.
   *
   * @default {FUNNEL_START} 1_767_571_200: 2026-01-05T00:00:00Z, a Monday
   */
  simulatedStart?: number;
  /**
   * Long-run events per simulated second of the whole (unsharded) stream.
   *
   * @default {0.55}
   */
  meanEventsPerSecond?: number;
  /**
   * Share of new sessions that belong to a returning user.
   *
   * @default {0.3}
   */
  returningUserShare?: number;
  /**
   * Event time source in integer epoch seconds, called once per event (sessions are still
   * scheduled on the simulated clock; the probabilities follow the timestamps written). Without
   * it, the simulated clock.
   */
  clock?: () => number;
  /**
   * Index (0-based, in this generator's events) of the first drifted event.
   *
   * @default {Infinity}
   */
  driftAt?: number;
  /** This generator is shard `index` of `count`. Without it, unsharded. */
  shard?: { index: number; count: number };
}
