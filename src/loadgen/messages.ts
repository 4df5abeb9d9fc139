/**
 * The messages between the load generator's orchestrator and its Web Workers (structured-clone
 * plain objects). The orchestrator sends `start` (the worker's whole setup), then `go` once every
 * worker is connected, `grant` in answer to `acquire` when a rate cap is on, and `stop`. A worker
 * answers `ready`, then reports cumulative `progress` (acknowledged events and bytes, failed
 * events), distinct send `error` messages, `fatal` when it cannot go on (the broker is gone), and
 * `done` with its final counts after its producers are closed.
 *
 * @module
 */

import type { Profile } from "../generator/generator.ts";
import type { KafkaClientOptions } from "../kafka/client.ts";

/** The generator settings of one worker (its shard of the session pool). */
export interface WorkerGeneratorSpec {
  /** The generator profile. */
  profile: Profile;
  /** Seed of the family; a sharded worker derives its own stream from it. */
  seed: number;
  /** This worker's shard, or `null` for one unsharded generator (one worker). */
  shard: { index: number; count: number } | null;
  /** Index of this worker's first drifted event, or `null` for no drift. */
  driftAt: number | null;
  /** Wall-clock timestamps (whole seconds, the original's); `false`: the simulated clock. */
  wallClock: boolean;
  /**
   * The original's tunables (see `SessionGeneratorOptions`; the funnel profile ignores them):
   * maximum pooled sessions over all workers (a shard pools its share).
   */
  maxActiveSessions: number;
  /** The original's tunable: probability that an event starts a new session. */
  newSessionProbability: number;
  /** The original's tunable: purchase probability intercept. */
  basePurchaseProbability: number;
  /** The original's tunable: purchase probability added per event of the session. */
  purchaseScaling: number;
  /** The original's tunable: cap of the purchase probability. */
  maxPurchaseProbability: number;
}

/** Everything a worker needs to run. */
export interface WorkerSpec {
  /** This worker's index, 0-based. */
  index: number;
  /** Bootstrap brokers. */
  brokers: string[];
  /** Kafka client id (the worker appends `-w<index>`). */
  clientId: string;
  /** TLS and SASL of the Kafka client (plain data: PEM text, credentials). */
  security: Pick<KafkaClientOptions, "ssl" | "sasl">;
  /** Show kafkajs' own logs. */
  kafkaLogs: boolean;
  /** Topic to write to. */
  topic: string;
  /** The topic's partition count (records carry their partition), or `null`: kafkajs chooses. */
  partitions: number | null;
  /** Producers (senders) of this worker. */
  senders: number;
  /** Sends in flight per sender. */
  inFlight: number;
  /** Events per send (one produce request). */
  batchRecords: number;
  /** Acknowledgement level. */
  acks: "all" | "leader" | "none";
  /** Compression. */
  compression: "none" | "gzip";
  /** Idempotent producers (acks all, one send in flight per sender). */
  idempotent: boolean;
  /** This worker's share of the run: events or value bytes, or `null` to run until `stop`. */
  quota: { events: number } | { bytes: number } | null;
  /** Ask the orchestrator (`acquire`) before each batch. */
  rateLimited: boolean;
  /** The generator of this worker's shard. */
  generator: WorkerGeneratorSpec;
  /** How often to post `progress`, ms. */
  progressIntervalMs: number;
  /** Producer connect deadline, ms. */
  connectTimeoutMs: number;
  /** Kafka request timeout, ms. */
  requestTimeoutMs: number;
  /** Give up after this many consecutive failed sends of one sender. */
  maxConsecutiveFailures: number;
}

/** Orchestrator → worker. */
export type ToWorker =
  | { type: "start"; spec: WorkerSpec }
  | { type: "go" }
  | { type: "grant"; id: number; granted: boolean }
  | { type: "stop" };

/** Cumulative counts of one worker. */
export interface WorkerCounts {
  /** Events acknowledged by Kafka. */
  events: number;
  /** Value bytes acknowledged. */
  bytes: number;
  /** Events whose send failed. */
  errors: number;
}

/** Worker → orchestrator. */
export type FromWorker =
  | { type: "ready" }
  | ({ type: "progress" } & WorkerCounts)
  | { type: "acquire"; id: number; n: number }
  | { type: "error"; message: string }
  | { type: "fatal"; message: string }
  | ({ type: "done" } & WorkerCounts);
