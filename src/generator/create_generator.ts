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
  /**
   * Seed of the random stream.
   *
   * @default {42}
   */
  seed?: number;
  /** This generator is shard `index` of `count`. Without it, unsharded. */
  shard?: { index: number; count: number };
  /**
   * Index (in this generator's events) of the first drifted event.
   *
   * @default {Infinity}
   */
  driftAt?: number;
  /** Event time source, integer epoch seconds. Without it, the profile's simulated clock. */
  clock?: () => number;
  /**
   * The `original` profile's tunables (ignored by `funnel`); each left out is the original's
   * value (see {@linkcode SessionGeneratorOptions}).
   */
  original?: Omit<SessionGeneratorOptions, "seed" | "shard" | "driftAt" | "clock">;
}

/**
 * The generator of `profile`.
 *
 * @example The same seed, the same stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGenerator } from "./create_generator.ts";
 *
 * const funnel = createGenerator("funnel", { seed: 7 });
 * const events = [funnel.next(), funnel.next()];
 * assert.equal(funnel.generated, 2);
 * const again = createGenerator("funnel", { seed: 7 });
 * assert.deepEqual([again.next(), again.next()], events);
 *
 * const original = createGenerator("original", { seed: 7, original: { maxUserId: 10 } });
 * assert.ok(original.next().user_id <= 10);
 * ```
 *
 * @param profile `"original"` or `"funnel"`.
 * @param options The seed, shard, drift and clock, and the original's tunables.
 * @returns A fresh generator.
 * @throws {RangeError} for an unknown profile, or an option out of range
 */
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
