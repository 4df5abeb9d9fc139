/**
 * The flags of `featurize [topic]` and their resolution into a {@linkcode FeaturizeConfig}. The
 * flags it shares with `train` are `train`'s own specs (same help, same defaults).
 *
 * @module
 */

import { FEATURE_SET_FLAG, resolveFeatureSetName } from "./feature_set_flag.ts";
import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import { byteSize, duration, listen, type ListenConfig, positiveInt } from "../config/values.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";
import { resolveSessionLimits, SESSION_LIMIT_FLAGS } from "./session_limits_flag.ts";
import { TRAIN_COMMAND, type TrainConfig } from "./train_config.ts";

/** `featurize [topic]`: one featurizer of a consumer group, writing `<topic>.features`. */
export interface FeaturizeConfig extends
  CommonConfig,
  Pick<
    TrainConfig,
    | "triggerMs"
    | "maxBatchEvents"
    | "reportEvery"
    | "shutdownTimeoutMs"
    | "featureSet"
    | "sessions"
  > {
  /** The command. */
  command: "featurize";
  /**
   * The input topic: the positional argument.
   * @default {"clickstream_v2"}
   */
  topic: string;
  /**
   * Consumer group of the featurizers (every featurizer of one topic joins the same group):
   * `--group`.
   * @default {"clickstream-featurizer"}
   */
  group: string;
  /**
   * Rows packed into one feature-log record at most: `--rows-per-record`.
   * @default {2000}
   */
  rowsPerRecord: number;
  /**
   * Bytes of one feature-log record at most: `--record-bytes`.
   * @default {262144}
   */
  recordBytes: number;
  /**
   * How often each held partition's session state is saved to `<topic>.sessions`, ms:
   * `--snapshot-interval`.
   * @default {5000}
   */
  snapshotIntervalMs: number;
  /**
   * Where `/healthz` and `/metrics` listen: `--http`.
   * @default {{ hostname: "127.0.0.1", port: 8081 }}
   */
  http: ListenConfig;
}

const TRAIN = TRAIN_COMMAND.flags;

/** `featurize` and its flags. */
export const FEATURIZE_COMMAND: CommandSpec = {
  name: "featurize",
  args: "[topic]",
  summary: "turn the topic's events into rows of <topic>.features, as one of a group",
  description: [
    "Turn the events of the topic into feature rows, as one member of a consumer group: start",
    "as many as the topic has partitions to spread the work. Rows go, packed many per record,",
    "to <topic>.features (one partition, so all rows have one order; created with infinite",
    "retention), bad records to <topic>.dlq. Every --snapshot-interval each partition's",
    "sessions are saved to <topic>.sessions (compacted); a featurizer given a partition restores",
    "its newest snapshot (or, with none, reads the partition from its beginning) to rebuild the",
    "sessions, and writes only the rows past the group's committed offset. `learn` reads the rows.",
  ].join("\n"),
  flags: {
    group: {
      type: "string",
      help: "consumer group of the featurizers",
      default: "clickstream-featurizer",
    },
    features: FEATURE_SET_FLAG,
    ...SESSION_LIMIT_FLAGS,
    trigger: TRAIN.trigger,
    "max-batch-events": {
      ...TRAIN["max-batch-events"],
      help: "close a batch at this many events (what a batch holds bounds the heap)",
      default: "20000",
    },
    "rows-per-record": {
      type: "string",
      help: "rows packed into one feature-log record at most",
      default: "2000",
    },
    "record-bytes": {
      type: "string",
      help: "bytes of one feature-log record at most",
      default: "256KiB",
    },
    "snapshot-interval": {
      type: "string",
      help: "how often each partition's sessions are saved to <topic>.sessions",
      default: "5s",
    },
    http: {
      type: "string",
      help: "where /healthz and /metrics listen",
      default: "127.0.0.1:8081",
    },
    "report-every": { ...TRAIN["report-every"], help: "print a progress line every N batches" },
    "shutdown-timeout": TRAIN["shutdown-timeout"],
    ...COMMON_FLAGS,
  },
};

/** The largest record a broker takes by default (`message.max.bytes`), less room for overhead. */
const MAX_RECORD_BYTES = 1_000_000;

/**
 * Resolves the arguments and flags of {@linkcode FEATURIZE_COMMAND} and the environment.
 * @throws {UsageError} naming the flag on a bad value, or on more than one topic
 */
export function resolveFeaturize(flags: ParsedFlags, env: Env): FeaturizeConfig {
  if (flags.positionals.length > 1) {
    throw flags.error(`featurize takes one topic, got ${flags.positionals.length}`);
  }
  const recordBytes = flags.value("record-bytes", byteSize);
  if (recordBytes < 1024 || recordBytes > MAX_RECORD_BYTES) {
    throw flags.error(
      `--record-bytes must be from 1KiB to ${MAX_RECORD_BYTES} bytes (a broker's default largest record), got ${
        flags.text("record-bytes")
      }`,
    );
  }
  return {
    command: "featurize",
    ...resolveCommon(flags, env),
    topic: flags.positionals[0] ?? "clickstream_v2",
    group: flags.text("group"),
    featureSet: resolveFeatureSetName(flags),
    sessions: resolveSessionLimits(flags),
    triggerMs: flags.value("trigger", duration),
    maxBatchEvents: flags.value("max-batch-events", positiveInt),
    rowsPerRecord: flags.value("rows-per-record", positiveInt),
    recordBytes,
    snapshotIntervalMs: flags.value("snapshot-interval", duration),
    http: flags.value("http", listen),
    reportEvery: flags.value("report-every", positiveInt),
    shutdownTimeoutMs: flags.value("shutdown-timeout", duration),
  };
}
