/**
 * Builds the generator of a profile by name, from the options both profiles share (seed, shard,
 * drift, clock) plus the original's own tunables, which only the `original` profile reads.
 *
 * @module
 */

import { FunnelGenerator } from "./funnel_generator.ts";
import type { Generator, Profile } from "./generator.ts";
import { SessionGenerator, type SessionGeneratorOptions } from "./session_generator.ts";

/** Options of {@linkcode createGenerator}. */
export interface CreateGeneratorOptions {
  /** Seed of the random stream. Default `42`. */
  seed?: number;
  /** This generator is shard `index` of `count`. Default: unsharded. */
  shard?: { index: number; count: number };
  /** Index (in this generator's events) of the first drifted event. Default `Infinity`. */
  driftAt?: number;
  /** Event time source, integer epoch seconds. Default: the profile's simulated clock. */
  clock?: () => number;
  /** The `original` profile's tunables (ignored by `funnel`). Default: the original's. */
  original?: Omit<SessionGeneratorOptions, "seed" | "shard" | "driftAt" | "clock">;
}

/** The generator of `profile`. */
export function createGenerator(profile: Profile, options: CreateGeneratorOptions = {}): Generator {
  const common = {
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    ...(options.driftAt !== undefined ? { driftAt: options.driftAt } : {}),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  };
  switch (profile) {
    case "original":
      return new SessionGenerator({ ...options.original, ...common });
    case "funnel":
      return new FunnelGenerator(common);
  }
  throw new RangeError(
    `Cannot create a generator of profile ${JSON.stringify(profile)}: expected original or funnel.`,
  );
}
