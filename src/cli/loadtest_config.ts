/**
 * The flags of `loadtest` and their resolution into a {@linkcode LoadtestConfig}.
 *
 * @module
 */

import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import {
  byteSize,
  duration,
  fraction,
  nonNegativeInt,
  oneOf,
  positiveInt,
} from "../config/values.ts";
import { DEFAULT_PROFILE, type Profile, PROFILES } from "../generator/generator.ts";
import { ACKS, type Acks, type Compression, COMPRESSIONS } from "../kafka/producer_settings.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";
import { defaultWorkers, MAX_DEFAULT_WORKERS } from "../loadgen/load_workers_options.ts";

/** The bound of a run when none of `--bytes`, `--events`, `--duration` is given. */
export const DEFAULT_LOADTEST_BYTES = "5GB";

/** `loadtest`: the load generator (Web Workers × senders). */
export interface LoadtestConfig extends CommonConfig {
  /** The command. */
  command: "loadtest";
  /**
   * The topic to write to: `--topic`.
   * @default {"clickstream_loadtest"}
   */
  topic: string;
  /**
   * Web Workers: `--workers`.
   * @default {defaultWorkers()} (half the machine's cores, 1 to 4: `load_workers_options.ts`)
   */
  workers: number;
  /**
   * Producers per worker: `--senders-per-worker`.
   * @default {4}
   */
  sendersPerWorker: number;
  /**
   * Stop after this many bytes: `--bytes`. Exactly one of bytes / events / durationMs bounds
   * the run; the others are `null`.
   * @default {5e9}
   */
  bytes: number | null;
  /**
   * Stop after this many events: `--events`.
   * @default {null}
   */
  events: number | null;
  /**
   * Stop after this long: `--duration`, in ms.
   * @default {null}
   */
  durationMs: number | null;
  /**
   * Cap in events/s: `--rate`; `null` is as fast as possible.
   * @default {null}
   */
  rate: number | null;
  /**
   * The generator profile: `--profile` (`original`, the original's signal; `funnel`, a shop's
   * page funnel with daily and weekly cycles).
   * @default {"original"}
   */
  profile: Profile;
  /**
   * Seed of the generator: `--seed`; `null` is a random one.
   * @default {null}
   */
  seed: number | null;
  /**
   * After this many events the signal drifts (original: purchases fall with session position;
   * funnel: conversion moves from the cart to the product page): `--drift-at`.
   * @default {null}
   */
  driftAt: number | null;
  /**
   * Acknowledgement level: `--acks` (`all` makes the producers idempotent).
   * @default {"leader"}
   */
  acks: Acks;
  /**
   * Record batch compression: `--compression`.
   * @default {"none"}
   */
  compression: Compression;
  /**
   * The original's tunables: pooled sessions over all workers (`--max-sessions`).
   * @default {5000}
   */
  maxActiveSessions: number;
  /**
   * The chance that an event starts a session: `--new-session-probability`.
   * @default {0.05}
   */
  newSessionProbability: number;
  /**
   * The purchase probability before any event: `--base-purchase-probability`.
   * @default {0.02}
   */
  basePurchaseProbability: number;
  /**
   * The purchase probability added per event of the session: `--purchase-scaling`.
   * @default {0.03}
   */
  purchaseScaling: number;
  /**
   * The cap of the purchase probability: `--max-purchase-probability`.
   * @default {0.5}
   */
  maxPurchaseProbability: number;
  /**
   * Events per send, one produce request: `--batch`.
   * @default {1000}
   */
  batchRecords: number;
  /**
   * Sends in flight per sender: `--in-flight` (1 with acks all).
   * @default {4}
   */
  inFlight: number;
}

/** `loadtest` and its flags. */
export const LOADTEST_COMMAND: CommandSpec = {
  name: "loadtest",
  summary: "the load generator (the original's loadtest.py)",
  flags: {
    topic: { type: "string", help: "topic to write to", default: "clickstream_loadtest" },
    workers: {
      type: "string",
      help: `Web Workers (half the cores by default, 1 to ${MAX_DEFAULT_WORKERS})`,
      default: String(defaultWorkers()),
    },
    "senders-per-worker": { type: "string", help: "producers per worker", default: "4" },
    bytes: {
      type: "string",
      help: `stop after this many bytes (5GB, 512MiB) [default ${DEFAULT_LOADTEST_BYTES}]`,
    },
    events: { type: "string", help: "stop after this many events (200k, 1M)" },
    duration: { type: "string", help: "stop after this long (60s, 5m)" },
    rate: { type: "string", help: "cap in events/s (default: as fast as possible)" },
    profile: {
      type: "string",
      help: "{choices} (funnel: a shop's page funnel with daily and weekly cycles)",
      choices: PROFILES,
      default: DEFAULT_PROFILE,
    },
    seed: {
      type: "string",
      help: "seed of the generator (reproducible with 1 worker, 1 sender)",
    },
    "drift-at": {
      type: "string",
      help:
        "after this many events the signal drifts (original: purchases fall with session position; funnel: conversion moves from the cart to the product page)",
    },
    acks: {
      type: "string",
      help: "{choices} (all = idempotent)",
      choices: ACKS,
      default: "leader",
    },
    compression: { type: "string", help: "{choices}", choices: COMPRESSIONS, default: "none" },
    "max-sessions": {
      type: "string",
      help: "active sessions over all workers (the original's)",
      default: "5000",
    },
    "new-session-probability": {
      type: "string",
      help: "chance that an event starts a session",
      default: "0.05",
    },
    "base-purchase-probability": {
      type: "string",
      help: "purchase probability before any event",
      default: "0.02",
    },
    "purchase-scaling": {
      type: "string",
      help: "purchase probability added per event of the session",
      default: "0.03",
    },
    "max-purchase-probability": {
      type: "string",
      help: "cap of the purchase probability",
      default: "0.5",
    },
    batch: { type: "string", help: "events per send (one produce request)", default: "1000" },
    "in-flight": {
      type: "string",
      help: "sends in flight per sender (1 with acks all)",
      default: "4",
    },
    ...COMMON_FLAGS,
  },
};

/**
 * Resolves the flags of {@linkcode LOADTEST_COMMAND} and the environment.
 * @throws {UsageError} naming the flag on a bad value, or on more than one bound of the run
 */
export function resolveLoadtest(flags: ParsedFlags, env: Env): LoadtestConfig {
  flags.noPositionals();
  const bounds = ["bytes", "events", "duration"].filter((b) => flags.given(b) !== undefined);
  if (bounds.length > 1) {
    throw flags.error(`give one of --bytes, --events, --duration, not ${bounds.join(" and ")}`);
  }
  const bytes = bounds.length === 0
    ? flags.parse("bytes", DEFAULT_LOADTEST_BYTES, byteSize)
    : flags.optional("bytes", byteSize);
  return {
    command: "loadtest",
    ...resolveCommon(flags, env),
    topic: flags.text("topic"),
    workers: flags.value("workers", positiveInt),
    sendersPerWorker: flags.value("senders-per-worker", positiveInt),
    bytes,
    events: flags.optional("events", positiveInt),
    durationMs: flags.optional("duration", duration),
    rate: flags.optional("rate", positiveInt),
    profile: flags.value("profile", oneOf(PROFILES)),
    seed: flags.optional("seed", nonNegativeInt),
    driftAt: flags.optional("drift-at", nonNegativeInt),
    acks: flags.value("acks", oneOf(ACKS)),
    compression: flags.value("compression", oneOf(COMPRESSIONS)),
    maxActiveSessions: flags.value("max-sessions", positiveInt),
    newSessionProbability: flags.value("new-session-probability", fraction),
    basePurchaseProbability: flags.value("base-purchase-probability", fraction),
    purchaseScaling: flags.value("purchase-scaling", fraction),
    maxPurchaseProbability: flags.value("max-purchase-probability", fraction),
    batchRecords: flags.value("batch", positiveInt),
    inFlight: flags.value("in-flight", positiveInt),
  };
}
