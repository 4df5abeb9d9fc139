/**
 * The settings every Kafka command shares: the Kafka connection (`kafka/client_config.ts`), the
 * log level, the client id and the partitions of a topic created on first use. A command's flags
 * are its own followed by {@linkcode COMMON_FLAGS}.
 *
 * @module
 */

import { type Env, type FlagSpecs, HELP_FLAG, type ParsedFlags } from "../config/flags.ts";
import { oneOf, positiveInt } from "../config/values.ts";
import {
  BROKER_FLAGS,
  KAFKA_SECURITY_FLAGS,
  type KafkaConnectionConfig,
  resolveKafkaConnection,
} from "../kafka/client_config.ts";

/** Log levels of the program (kafkajs' own logs are quiet unless `debug`). */
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Settings every Kafka command shares. */
export interface CommonConfig extends KafkaConnectionConfig {
  /**
   * `--log-level`; `debug` shows kafkajs' logs too.
   * @default {"info"}
   */
  logLevel: LogLevel;
  /** Kafka client id, `clickstream-<command>`. */
  clientId: string;
  /**
   * Partitions of a topic created on first use: `--partitions` (1, as the original).
   * @default {1}
   */
  partitions: number;
}

/** The flags of every Kafka command, after its own: brokers, log level, partitions, security, help. */
export const COMMON_FLAGS: FlagSpecs = {
  ...BROKER_FLAGS,
  "log-level": {
    type: "string",
    help: "{choices} (debug shows kafkajs' logs)",
    choices: LOG_LEVELS,
    default: "info",
  },
  partitions: { type: "string", help: "partitions of a topic created on first use", default: "1" },
  ...KAFKA_SECURITY_FLAGS,
  help: HELP_FLAG,
};

/**
 * Resolves {@linkcode COMMON_FLAGS} and the environment.
 * @throws {UsageError} naming the flag on a bad value
 */
export function resolveCommon(flags: ParsedFlags, env: Env): CommonConfig {
  return {
    ...resolveKafkaConnection(flags, env),
    logLevel: flags.value("log-level", oneOf(LOG_LEVELS)),
    clientId: `clickstream-${flags.command.name}`,
    partitions: flags.value("partitions", positiveInt),
  };
}
