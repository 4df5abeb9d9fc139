/**
 * The options of `runLoadWorkers()` (`orchestrator.ts`) and what a run returns: the run's bound,
 * the Kafka settings every worker's producers use, the shape of the workers and their sends, the
 * generator profile with the original's tunables, and the run's deadlines.
 *
 * @module
 */

import type { Profile } from "../generator/generator.ts";
import type { KafkaClientOptions } from "../kafka/client.ts";
import type { LoadTarget, ProgressSample } from "./progress.ts";
import type { Clock } from "../util/clock.ts";

/** The original's generator tunables; each defaults to the original's value. */
export interface GeneratorTunables {
  /**
   * Maximum pooled sessions over all workers.
   *
   * @default {5000}
   */
  maxActiveSessions?: number;
  /**
   * Probability that an event starts a new session.
   *
   * @default {0.05}
   */
  newSessionProbability?: number;
  /**
   * Purchase probability intercept.
   *
   * @default {0.02}
   */
  basePurchaseProbability?: number;
  /**
   * Purchase probability added per event of the session.
   *
   * @default {0.03}
   */
  purchaseScaling?: number;
  /**
   * Cap of the purchase probability.
   *
   * @default {0.5}
   */
  maxPurchaseProbability?: number;
}

/** The most Web Workers {@linkcode defaultWorkers} gives (the original's 4 × 4 senders). */
export const MAX_DEFAULT_WORKERS = 4;

/**
 * The default number of Web Workers for a machine of `cores` cores: half of them, at least 1 and
 * at most {@linkcode MAX_DEFAULT_WORKERS} — 1 on 2 cores, 2 on 4, 4 on 8 or more. Each worker
 * keeps about one core busy at full speed, and the broker and a consumer on the same machine need
 * the rest: on this project's 2-core machine 1 worker × 4 senders took 2.28 CPU-seconds per
 * million events where 4 × 4 took 3.52, at about the same rate (quiet; under load 1.89 and 2.73,
 * and faster: README "The load generator against Kafka's own tool").
 *
 * @param cores the machine's logical cores. Default `navigator.hardwareConcurrency`.
 * @throws {RangeError} if `cores` is not a positive integer
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultWorkers } from "./load_workers_options.ts";
 * assert.equal(defaultWorkers(2), 1);
 * assert.equal(defaultWorkers(16), 4);
 * ```
 */
export function defaultWorkers(cores: number = navigator.hardwareConcurrency): number {
  if (!Number.isSafeInteger(cores) || cores < 1) {
    throw new RangeError(
      `Cannot size the load workers for ${cores} cores: expected an integer ≥ 1.`,
    );
  }
  return Math.min(MAX_DEFAULT_WORKERS, Math.max(1, Math.floor(cores / 2)));
}

/** Options of {@linkcode runLoadWorkers}. */
export interface LoadWorkersOptions extends GeneratorTunables {
  /** Bootstrap brokers. Required. */
  brokers: readonly string[];
  /** Topic to write to (it must exist). Required. */
  topic: string;
  /** What ends the run. Required. */
  target: LoadTarget;
  /**
   * The topic's partition count: the generator then partitions the records itself (as Kafka's
   * default partitioner would), which saves kafkajs' costly hashing. `null`: kafkajs partitions.
   *
   * @default {null}
   */
  partitions?: number | null;
  /**
   * TLS and SASL of every worker's Kafka client (plain data, copied to the workers). Without it,
   * plaintext and no authentication.
   */
  security?: Pick<KafkaClientOptions, "ssl" | "sasl">;
  /**
   * Kafka client id prefix.
   *
   * @default {"clickstream-loadtest"}
   */
  clientId?: string;
  /**
   * Show kafkajs' own logs.
   *
   * @default {false}
   */
  kafkaLogs?: boolean;
  /**
   * Web Workers, each with its shard of the sessions.
   *
   * @default {defaultWorkers()} (half the machine's cores, 1 to 4)
   */
  workers?: number;
  /**
   * Producers per worker.
   *
   * @default {4}
   */
  sendersPerWorker?: number;
  /**
   * Sends in flight per sender (`1` when idempotent, and when seeded with one worker and one
   * sender so the stream's order is exact).
   *
   * @default {4}
   */
  inFlight?: number;
  /**
   * Events per send (one produce request); with `rate`, at most `rate / 20`.
   *
   * @default {1000}
   */
  batchRecords?: number;
  /**
   * Acknowledgement level; `"all"` makes the producers idempotent.
   *
   * @default {"leader"}
   */
  acks?: "all" | "leader" | "none";
  /**
   * Compression.
   *
   * @default {"none"}
   */
  compression?: "none" | "gzip";
  /**
   * Cap in events/s over all workers; `null` for none.
   *
   * @default {null}
   */
  rate?: number | null;
  /**
   * The generator profile: `"original"` (the original's signal) or `"funnel"` (a shop's page
   * funnel with daily and weekly cycles, `src/generator/funnel_generator.ts`).
   *
   * @default {"original"}
   */
  profile?: Profile;
  /**
   * Seed of the generator: with it the timestamps come from the generator's simulated clock, so
   * the stream is exactly reproducible with one worker and one sender. `null`: a random seed
   * and, for the original profile, wall-clock timestamps (whole seconds, the original's); the
   * funnel profile always uses its simulated clock (its signal lives in simulated time).
   *
   * @default {null}
   */
  seed?: number | null;
  /**
   * After this many events (over all workers) the signal drifts; `null` for no drift.
   *
   * @default {null}
   */
  driftAt?: number | null;
  /**
   * How often `onProgress` is called, ms.
   *
   * @default {2000}
   */
  progressIntervalMs?: number;
  /** Called with the totals every `progressIntervalMs` (and `previous`, the last call's). */
  onProgress?: (sample: ProgressSample, previous: ProgressSample | null) => void;
  /**
   * Fail when nothing is acknowledged for this long while events are due, ms.
   *
   * @default {30_000}
   */
  stallTimeoutMs?: number;
  /**
   * Wait this long for workers to finish after `stop`, then terminate them, ms.
   *
   * @default {20_000}
   */
  stopTimeoutMs?: number;
  /**
   * Producer connect deadline, ms.
   *
   * @default {15_000}
   */
  connectTimeoutMs?: number;
  /**
   * Kafka request timeout, ms.
   *
   * @default {10_000}
   */
  requestTimeoutMs?: number;
  /** Aborting stops the run cleanly (the result's outcome is `"interrupted"`). */
  signal?: AbortSignal;
  /**
   * The clock of the run's timings.
   *
   * @default {MONOTONIC_CLOCK}
   */
  clock?: Pick<Clock, "now">;
}

/** What a run did. */
export interface LoadWorkersResult {
  /** Final acknowledged totals; `elapsedMs` counts from the moment all workers started. */
  final: ProgressSample;
  /** How it ended. */
  outcome: "done" | "interrupted" | "failed";
  /** Why it failed (`outcome === "failed"`), else `null`. */
  failure: string | null;
  /** Distinct send error messages reported by workers (at most 10). */
  errorMessages: string[];
  /** The seed used (given or drawn). */
  seed: number;
  /** Workers that had to be terminated because they did not stop in time. */
  terminated: number;
}
