/**
 * The flags of `demo` and their resolution into a {@linkcode DemoConfig}.
 *
 * @module
 */

import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import { listen, type ListenConfig, oneOf, positiveInt } from "../config/values.ts";
import type { FeatureSetName } from "../learn/feature_sets.ts";
import { DEFAULT_MODE, type Mode, MODES } from "../learn/model.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";
import { FEATURE_SET_FLAG, resolveFeatureSetName } from "./feature_set_flag.ts";

/** `demo`: broker, trainer, dashboard and a rate-limited load, all at once. */
export interface DemoConfig extends CommonConfig {
  /** The command. */
  command: "demo";
  /**
   * `true` when `--brokers`/`KAFKA_BROKERS` was given: then no local broker is started.
   * @default {false}
   */
  externalBrokers: boolean;
  /**
   * Port of the local broker the demo starts otherwise: `--kafka-port`.
   * @default {9092}
   */
  kafkaPort: number;
  /**
   * The topic of the load and the trainer: `--topic`.
   * @default {"clickstream_demo"}
   */
  topic: string;
  /**
   * Events/s of the load: `--rate`.
   * @default {2000}
   */
  rate: number;
  /**
   * The trainer's HTTP listen address: `--http`.
   * @default {{ hostname: "127.0.0.1", port: 8080 }}
   */
  http: ListenConfig;
  /**
   * The trainer's checkpoint directory: `--state-dir`.
   * @default {"./state/demo"}
   */
  stateDir: string;
  /**
   * Learning mode: `--mode`.
   * @default {"adagrad"}
   */
  mode: Mode;
  /**
   * The trainer's feature set: `--features`.
   * @default {"session"}
   */
  featureSet: FeatureSetName;
}

/** `demo` and its flags. */
export const DEMO_COMMAND: CommandSpec = {
  name: "demo",
  summary: "local Kafka + trainer + dashboard + a rate-limited load; Ctrl-C stops it all",
  flags: {
    topic: { type: "string", help: "topic", default: "clickstream_demo" },
    "kafka-port": {
      type: "string",
      help: "port of the local broker the demo starts (without --brokers/KAFKA_BROKERS)",
      default: "9092",
    },
    rate: { type: "string", help: "events/s of the load", default: "2000" },
    http: { type: "string", help: "HTTP listen address", default: "127.0.0.1:8080" },
    "state-dir": { type: "string", help: "checkpoint directory", default: "./state/demo" },
    mode: { type: "string", help: "{choices}", choices: MODES, default: DEFAULT_MODE },
    features: FEATURE_SET_FLAG,
    ...COMMON_FLAGS,
  },
};

/**
 * Resolves the flags of {@linkcode DEMO_COMMAND} and the environment.
 * @throws {UsageError} naming the flag on a bad value or a positional argument
 */
export function resolveDemo(flags: ParsedFlags, env: Env): DemoConfig {
  flags.noPositionals();
  return {
    command: "demo",
    ...resolveCommon(flags, env),
    externalBrokers: flags.given("brokers") !== undefined || env.KAFKA_BROKERS !== undefined,
    kafkaPort: flags.value("kafka-port", positiveInt),
    topic: flags.text("topic"),
    rate: flags.value("rate", positiveInt),
    http: flags.value("http", listen),
    stateDir: flags.text("state-dir"),
    mode: flags.value("mode", oneOf(MODES)),
    featureSet: resolveFeatureSetName(flags),
  };
}
