/**
 * The flags of `learn [topic]` and their resolution into a {@linkcode LearnConfig}. The flags it
 * shares with `train` are `train`'s own specs (same help, same defaults); `--mode seed` is
 * refused here, as a bad flag is.
 *
 * @module
 */

import { FEATURE_SET_FLAG, resolveFeatureSetName } from "./feature_set_flag.ts";
import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import { duration, listen, oneOf, positiveInt } from "../config/values.ts";
import { ON_DRIFT } from "../learn/drift.ts";
import { PER_EVENT_MODES } from "../learn/model.ts";
import { BATCH_DEPENDENT_MODES } from "../stream/log_learner.ts";
import { LEARNER_GROUP_PREFIX } from "../stream/replica_group.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";
import { resolveClassWeight, resolveTarget } from "./target_flag.ts";
import { TRAIN_COMMAND, type TrainConfig } from "./train_config.ts";

/**
 * `learn [topic]`: one replica learning from `<topic>.features`, and its HTTP server. The fields
 * it shares with `train` mean the same (`maxBatchEvents` counts rows: events and bad records;
 * its default is 100,000, not train's 20,000).
 */
export interface LearnConfig extends
  CommonConfig,
  Pick<
    TrainConfig,
    | "triggerMs"
    | "maxBatchEvents"
    | "mode"
    | "onDrift"
    | "classWeight"
    | "target"
    | "http"
    | "checkpointIntervalMs"
    | "adminToken"
    | "reportEvery"
    | "shutdownTimeoutMs"
    | "lockWaitMs"
    | "featureSet"
  > {
  /** The command. */
  command: "learn";
  /**
   * The input topic (its feature log is `<topic>.features`): the positional argument.
   * @default {"clickstream_v2"}
   */
  topic: string;
  /**
   * Consumer group of this replica: `--group`; `null` derives one per state directory
   * (`clickstream-learner-<id>`, kept in the directory), since no two replicas may share one.
   * @default {null}
   */
  group: string | null;
  /**
   * Checkpoint directory of this replica (each replica needs its own): `--state-dir`.
   * @default {"./state-learn"}
   */
  stateDir: string;
}

const TRAIN = TRAIN_COMMAND.flags;

/** `learn` and its flags. */
export const LEARN_COMMAND: CommandSpec = {
  name: "learn",
  args: "[topic]",
  summary: "learn from <topic>.features as one replica; serve /weights, /metrics and the dashboard",
  description: [
    "Learn from the feature log <topic>.features (written by `featurize`), in its order, and",
    "serve /weights, /metrics, /predict and the dashboard. Replicas, each with a state",
    "directory (and so a group) of its own, hold bitwise identical models at the same model",
    "version, the feature-log offset they have consumed up to. POST /reset is refused and the",
    "seed mode is not available: nothing outside the log may change a replica's model.",
  ].join("\n"),
  flags: {
    group: {
      type: "string",
      help:
        `consumer group of this replica (default: ${LEARNER_GROUP_PREFIX}-<id>, kept in --state-dir)`,
    },
    features: {
      ...FEATURE_SET_FLAG,
      help: "feature set of the log's rows (as featurize writes them): {choices}",
    },
    trigger: TRAIN.trigger,
    "max-batch-events": {
      type: "string",
      // Not train's 20,000: a batch of rows is no kafkajs records, and learn on 2M shop rows
      // ran 1.37x faster at 100,000 (bench:scale --learn-batches 20000,100000, quiet machine).
      help: "close a batch at this many rows",
      default: "100000",
    },
    mode: {
      ...TRAIN.mode,
      help: "{choices} (the per-event modes: replicas' batch boundaries differ)",
      choices: PER_EVENT_MODES,
    },
    "on-drift": TRAIN["on-drift"],
    "class-weight": TRAIN["class-weight"],
    target: TRAIN.target,
    http: TRAIN.http,
    "state-dir": {
      type: "string",
      help: "checkpoint directory of this replica",
      default: "./state-learn",
    },
    "checkpoint-interval": TRAIN["checkpoint-interval"],
    "admin-token": TRAIN["admin-token"],
    "report-every": TRAIN["report-every"],
    "shutdown-timeout": TRAIN["shutdown-timeout"],
    "lock-wait": TRAIN["lock-wait"],
    ...COMMON_FLAGS,
  },
};

/**
 * Resolves the arguments and flags of {@linkcode LEARN_COMMAND} and the environment.
 * @throws {UsageError} naming the flag on a bad value, on `--mode seed`, or on more than one topic
 */
export function resolveLearn(flags: ParsedFlags, env: Env): LearnConfig {
  if (flags.positionals.length > 1) {
    throw flags.error(`learn takes one topic, got ${flags.positionals.length}`);
  }
  const given = flags.given("mode");
  if (given !== undefined && BATCH_DEPENDENT_MODES.includes(given)) {
    throw flags.error(
      `--mode ${given} is not available to learn: its model depends on where batch boundaries fall, which differ between replicas; use ${
        PER_EVENT_MODES.join(" or ")
      }`,
    );
  }
  const mode = flags.value("mode", oneOf(PER_EVENT_MODES));
  const target = resolveTarget(flags, [mode], "mode");
  return {
    command: "learn",
    ...resolveCommon(flags, env),
    topic: flags.positionals[0] ?? "clickstream_v2",
    group: flags.given("group") ?? null,
    featureSet: resolveFeatureSetName(flags),
    triggerMs: flags.value("trigger", duration),
    maxBatchEvents: flags.value("max-batch-events", positiveInt),
    mode,
    onDrift: flags.value("on-drift", oneOf(ON_DRIFT)),
    classWeight: resolveClassWeight(flags, target, [mode], "mode"),
    target,
    http: flags.value("http", listen),
    stateDir: flags.text("state-dir"),
    checkpointIntervalMs: flags.value("checkpoint-interval", duration),
    adminToken: flags.given("admin-token") ?? env.CLICKSTREAM_ADMIN_TOKEN ?? null,
    reportEvery: flags.value("report-every", positiveInt),
    shutdownTimeoutMs: flags.value("shutdown-timeout", duration),
    lockWaitMs: flags.value("lock-wait", duration),
  };
}
