/**
 * The flags of `train [topic]` and their resolution into a {@linkcode TrainConfig}, with the
 * crash hook tests set through the environment (`CLICKSTREAM_CRASH_AT`, `CLICKSTREAM_CRASH_AFTER`).
 *
 * @module
 */

import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import {
  duration,
  listen,
  type ListenConfig,
  oneOf,
  positiveByteSize,
  positiveInt,
} from "../config/values.ts";
import { ON_DRIFT, type OnDrift } from "../learn/drift.ts";
import type { FeatureSetName } from "../learn/feature_sets.ts";
import { DEFAULT_MODE, type Mode, MODES } from "../learn/model.ts";
import type { Target } from "../learn/target.ts";
import {
  CLASS_WEIGHT_FLAG,
  resolveClassWeight,
  resolveTarget,
  TARGET_FLAG,
} from "./target_flag.ts";
import { CRASH_POINTS, type CrashPoint } from "../stream/checkpoint.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";
import { FEATURE_SET_FLAG, resolveFeatureSetName } from "./feature_set_flag.ts";
import {
  resolveSessionLimits,
  SESSION_LIMIT_FLAGS,
  type SessionLimits,
} from "./session_limits_flag.ts";

/** Where a consumer group without committed offsets starts. */
export const STARTING_OFFSETS = ["earliest", "latest"] as const;
/** One of {@linkcode STARTING_OFFSETS}. */
export type StartingOffsets = typeof STARTING_OFFSETS[number];

/** The values of `--featurize-worker`. */
export const FEATURIZE_WORKER = ["on", "off"] as const;

/** `train [topic]`: the trainer and its HTTP server. */
export interface TrainConfig extends CommonConfig {
  /** The command. */
  command: "train";
  /**
   * The topic to learn from: the positional argument.
   * @default {"clickstream_v2"}
   */
  topic: string;
  /**
   * Consumer group: `--group`.
   * @default {"clickstream-trainer"}
   */
  group: string;
  /**
   * Micro-batch interval: `--trigger`, in ms (10s is the original's).
   * @default {1000}
   */
  triggerMs: number;
  /**
   * A batch closes at this many events: `--max-batch-events`. A batch's records and rows are what
   * the heap holds live while it is learnt — a record is a two-field view over its fetch (~48
   * bytes), a row its columns' share (docs/design.md "What a record allocates") — and each batch
   * has fixed costs (the snapshot it publishes, the metrics' pass over their bins, the hand-over
   * to the featurize worker). With the worker, 40,000 made `train` 13% faster than 20,000 for ~24
   * MB more peak RSS; on one thread under the `train` task's heap cap it cost 26% more CPU and took
   * 1M live sessions to 294 MB, against 277 (README "The trainer against Kafka's own consumer").
   * @default {20000, 40000 with `--featurize-worker on`}
   */
  maxBatchEvents: number;
  /**
   * A batch closes when its records' values reach this many bytes: `--max-batch-bytes` (a
   * record larger than that is a batch of its own).
   * @default {67108864}
   */
  maxBatchBytes: number;
  /**
   * The most bytes of a partition one fetch brings: `--fetch-bytes` (kafkajs'
   * `maxBytesPerPartition`). Fewer, larger fetches are fewer round trips to the broker, each
   * copied once by kafkajs into one buffer the records are views over (docs/design.md "One batch
   * through `train`"); read one ahead, a fetch of 4 MiB (~16,000 `shop` events) comes while the
   * batch before is learnt (README "The trainer against Kafka's own consumer").
   * @default {4194304}
   */
  fetchBytes?: number;
  /**
   * Featurize (decode, session stores, rows) in a Web Worker beside the learn stage, the two
   * threads overlapping: `--featurize-worker on|off` (docs/design.md "The trainer as two
   * stages"; README "The trainer against Kafka's own consumer" for what it buys).
   * @default {false}
   */
  featurizeWorker: boolean;
  /**
   * Where the group starts when it has no offsets: `--starting-offsets`.
   * @default {"earliest"}
   */
  startingOffsets: StartingOffsets;
  /**
   * Learning mode: `--mode`.
   * @default {"adagrad"}
   */
  mode: Mode;
  /**
   * The feature set (see `src/learn/feature_sets.ts`): `--features`.
   * @default {"session"}
   */
  featureSet: FeatureSetName;
  /**
   * The bounds of each input partition's session store: `--max-sessions`, `--session-idle`
   * (see `session_limits_flag.ts`); they also apply to the sessions of a resumed checkpoint.
   * @default {{ maxSessions: 100000, idleSeconds: 1800 }}
   */
  sessions: SessionLimits;
  /**
   * What the learner does on a detected drift: `--on-drift`.
   * @default {"none"}
   */
  onDrift: OnDrift;
  /**
   * The purchase class weight of training: `--class-weight purchase=W` (adagrad only); scores
   * and predictions stay calibrated (logit − ln W).
   * @default {1}
   */
  classWeight: number;
  /**
   * What the model learns: `--target`; `action` (adagrad only) also learns the next action's
   * class by softmax regression.
   * @default {"purchase"}
   */
  target: Target;
  /**
   * HTTP listen address: `--http`.
   * @default {{ hostname: "127.0.0.1", port: 8080 }}
   */
  http: ListenConfig;
  /**
   * Checkpoint directory: `--state-dir`.
   * @default {"./state"}
   */
  stateDir: string;
  /**
   * At most one checkpoint per interval: `--checkpoint-interval`, in ms.
   * @default {5000}
   */
  checkpointIntervalMs: number;
  /**
   * Publish each score to `<topic>.predictions`: `--predictions`.
   * @default {false}
   */
  predictions: boolean;
  /**
   * Bearer token of the admin routes: `--admin-token`, else `CLICKSTREAM_ADMIN_TOKEN`; `null`
   * turns them off.
   * @default {null}
   */
  adminToken: string | null;
  /**
   * Print the top purchasers every N batches: `--report-every`.
   * @default {10}
   */
  reportEvery: number;
  /**
   * How long a clean shutdown may take before the process gives up: `--shutdown-timeout`, in ms.
   * @default {10000}
   */
  shutdownTimeoutMs: number;
  /**
   * How long to wait for the state lock while its owner still runs (exiting, say, after a
   * supervisor killed it) before refusing to start: `--lock-wait`, in ms.
   * @default {5000}
   */
  lockWaitMs: number;
  /**
   * Test hook from `CLICKSTREAM_CRASH_AT` (a crash point) and `CLICKSTREAM_CRASH_AFTER` (on its
   * n-th occurrence, default 1): the trainer kills itself there. `null` in normal use.
   * @default {null}
   */
  crash: { point: CrashPoint; after: number } | null;
}

/** `train` and its flags. */
export const TRAIN_COMMAND: CommandSpec = {
  name: "train",
  args: "[topic]",
  summary: "consume the stream, learn, serve /weights, /metrics and the dashboard",
  flags: {
    group: { type: "string", help: "consumer group", default: "clickstream-trainer" },
    trigger: {
      type: "string",
      help: "micro-batch interval (10s is the original's)",
      default: "1s",
    },
    "max-batch-events": {
      type: "string",
      help:
        "close a batch at this many events (what a batch holds bounds the heap; default 20000, 40000 with the featurize worker on)",
    },
    "max-batch-bytes": {
      type: "string",
      help: "close a batch when its records' values reach this size (e.g. 16MiB, 5MB)",
      default: "64MiB",
    },
    "fetch-bytes": {
      type: "string",
      help: "the most bytes of a partition one fetch brings (e.g. 1MiB, 16MiB)",
      default: "4MiB",
    },
    "featurize-worker": {
      type: "string",
      help: "{choices}: decode and featurize in a Web Worker beside the learn stage",
      choices: FEATURIZE_WORKER,
      default: "off",
    },
    "starting-offsets": {
      type: "string",
      help: "{choices}, when the group has no offsets",
      choices: STARTING_OFFSETS,
      default: "earliest",
    },
    mode: { type: "string", help: "{choices}", choices: MODES, default: DEFAULT_MODE },
    features: FEATURE_SET_FLAG,
    ...SESSION_LIMIT_FLAGS,
    "on-drift": {
      type: "string",
      help: "{choices}, on a drift (boost restarts the learning rates, reset starts a fresh model)",
      choices: ON_DRIFT,
      default: "none",
    },
    "class-weight": CLASS_WEIGHT_FLAG,
    target: TARGET_FLAG,
    http: { type: "string", help: "HTTP listen address", default: "127.0.0.1:8080" },
    "state-dir": { type: "string", help: "checkpoint directory", default: "./state" },
    "checkpoint-interval": {
      type: "string",
      help: "at most one checkpoint per interval",
      default: "5s",
    },
    predictions: { type: "boolean", help: "publish each score to <topic>.predictions" },
    "admin-token": {
      type: "string",
      help: "bearer token of the admin routes (else CLICKSTREAM_ADMIN_TOKEN)",
    },
    "report-every": {
      type: "string",
      help: "print the top purchasers every N batches",
      default: "10",
    },
    "shutdown-timeout": {
      type: "string",
      help: "on SIGINT/SIGTERM, give up a clean stop after this long",
      default: "10s",
    },
    "lock-wait": {
      type: "string",
      help: "wait this long for the state lock while its owner is still exiting",
      default: "5s",
    },
    ...COMMON_FLAGS,
  },
};

/**
 * Resolves the arguments and flags of {@linkcode TRAIN_COMMAND} and the environment.
 * @throws {UsageError} naming the flag (or variable) on a bad value, or on more than one topic
 */
export function resolveTrain(flags: ParsedFlags, env: Env): TrainConfig {
  if (flags.positionals.length > 1) {
    throw flags.error(`train takes one topic, got ${flags.positionals.length}`);
  }
  const mode = flags.value("mode", oneOf(MODES));
  const target = resolveTarget(flags, [mode], "mode");
  const featurizeWorker = flags.value("featurize-worker", oneOf(FEATURIZE_WORKER)) === "on";
  return {
    command: "train",
    ...resolveCommon(flags, env),
    topic: flags.positionals[0] ?? "clickstream_v2",
    group: flags.text("group"),
    triggerMs: flags.value("trigger", duration),
    maxBatchEvents: flags.optional("max-batch-events", positiveInt) ??
      (featurizeWorker ? 40_000 : 20_000),
    maxBatchBytes: flags.value("max-batch-bytes", positiveByteSize),
    fetchBytes: flags.value("fetch-bytes", positiveByteSize),
    featurizeWorker,
    startingOffsets: flags.value("starting-offsets", oneOf(STARTING_OFFSETS)),
    mode,
    featureSet: resolveFeatureSetName(flags),
    sessions: resolveSessionLimits(flags),
    onDrift: flags.value("on-drift", oneOf(ON_DRIFT)),
    classWeight: resolveClassWeight(flags, target, [mode], "mode"),
    target,
    http: flags.value("http", listen),
    stateDir: flags.text("state-dir"),
    checkpointIntervalMs: flags.value("checkpoint-interval", duration),
    predictions: flags.on("predictions"),
    adminToken: flags.given("admin-token") ?? env.CLICKSTREAM_ADMIN_TOKEN ?? null,
    reportEvery: flags.value("report-every", positiveInt),
    shutdownTimeoutMs: flags.value("shutdown-timeout", duration),
    lockWaitMs: flags.value("lock-wait", duration),
    crash: crashHook(flags, env),
  };
}

function crashHook(
  flags: ParsedFlags,
  env: Env,
): { point: CrashPoint; after: number } | null {
  const point = env.CLICKSTREAM_CRASH_AT;
  if (point === undefined || point === "") return null;
  if (!(CRASH_POINTS as readonly string[]).includes(point)) {
    throw flags.error(
      `CLICKSTREAM_CRASH_AT must be one of ${CRASH_POINTS.join(", ")}, got "${point}"`,
    );
  }
  const after = Number(env.CLICKSTREAM_CRASH_AFTER ?? "1");
  if (!Number.isInteger(after) || after < 1) {
    throw flags.error(
      `CLICKSTREAM_CRASH_AFTER must be an integer ≥ 1, got "${env.CLICKSTREAM_CRASH_AFTER}"`,
    );
  }
  return { point: point as CrashPoint, after };
}
