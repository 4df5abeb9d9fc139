/**
 * The command line and the environment, resolved once into one {@linkcode Config} with every
 * field filled. Nothing else in the program reads `Deno.env` or `Deno.args`: `main.ts` calls
 * {@linkcode resolveConfig} and passes the result down. A bad flag raises
 * {@linkcode UsageError}, whose message names the flag and whose `usage` is the command's help.
 *
 * Each command declares its flags, their help and their resolution next to its `run`, in
 * `cli/<command>_config.ts`; the flag machinery and the shared value parsers are in `config/`,
 * the Kafka connection settings in `kafka/client_config.ts`. This file only dispatches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveConfig, usage } from "./config.ts";
 *
 * const config = resolveConfig(["train", "orders", "--trigger", "500ms"], {});
 * assert.ok(config.command === "train");
 * assert.equal(config.topic, "orders");
 * assert.equal(config.triggerMs, 500);
 * assert.match(usage("train"), /--lock-wait <value> .*\(default 5s\)/);
 * ```
 *
 * @module
 */

import {
  type CommandSpec,
  commandUsage,
  type Env,
  type ParsedFlags,
  parseFlags,
  UsageError,
} from "./config/flags.ts";
import { CONSUME_COMMAND, type ConsumeConfig, resolveConsume } from "./cli/consume_config.ts";
import { DEMO_COMMAND, type DemoConfig, resolveDemo } from "./cli/demo_config.ts";
import {
  FEATURIZE_COMMAND,
  type FeaturizeConfig,
  resolveFeaturize,
} from "./cli/featurize_config.ts";
import { LEARN_COMMAND, type LearnConfig, resolveLearn } from "./cli/learn_config.ts";
import { LOADTEST_COMMAND, type LoadtestConfig, resolveLoadtest } from "./cli/loadtest_config.ts";
import { QUALITY_COMMAND, type QualityConfig, resolveQuality } from "./cli/quality_config.ts";
import { resolveSend, SEND_COMMAND, type SendConfig } from "./cli/send_config.ts";
import { resolveTopics, TOPICS_COMMAND, type TopicsConfig } from "./cli/topics_config.ts";
import { resolveTrain, TRAIN_COMMAND, type TrainConfig } from "./cli/train_config.ts";

export { UsageError };
export type { ListenConfig } from "./config/values.ts";
export type { KafkaSaslConfig, KafkaTlsConfig } from "./kafka/client_config.ts";
export type { CommonConfig } from "./cli/common_config.ts";
export type {
  ConsumeConfig,
  DemoConfig,
  FeaturizeConfig,
  LearnConfig,
  LoadtestConfig,
  QualityConfig,
  SendConfig,
  TopicsConfig,
  TrainConfig,
};

/** `help` (or `--help`): print the text and exit 0. */
export interface HelpConfig {
  /** The command. */
  command: "help";
  /** The help text to print. */
  text: string;
}

/** The resolved configuration of one run. */
export type Config =
  | SendConfig
  | ConsumeConfig
  | TopicsConfig
  | TrainConfig
  | FeaturizeConfig
  | LearnConfig
  | LoadtestConfig
  | DemoConfig
  | QualityConfig
  | HelpConfig;

interface Command {
  spec: CommandSpec;
  resolve(flags: ParsedFlags, env: Env): Config;
}

const COMMANDS: readonly Command[] = [
  { spec: SEND_COMMAND, resolve: resolveSend },
  { spec: CONSUME_COMMAND, resolve: resolveConsume },
  { spec: TOPICS_COMMAND, resolve: resolveTopics },
  { spec: TRAIN_COMMAND, resolve: resolveTrain },
  { spec: FEATURIZE_COMMAND, resolve: resolveFeaturize },
  { spec: LEARN_COMMAND, resolve: resolveLearn },
  { spec: LOADTEST_COMMAND, resolve: resolveLoadtest },
  { spec: DEMO_COMMAND, resolve: resolveDemo },
  { spec: QUALITY_COMMAND, resolve: resolveQuality },
];

/** Every command's spec, in the order of the program's help. */
export const COMMAND_SPECS: readonly CommandSpec[] = COMMANDS.map((c) => c.spec);

function find(name: string | undefined): Command | undefined {
  return COMMANDS.find((c) => c.spec.name === name);
}

/** The help text of one command, or of the program when `command` is omitted or unknown. */
export function usage(command?: string): string {
  const found = find(command);
  if (found !== undefined) return commandUsage(found.spec);
  return [
    "Usage: clickstream <command> [flags]",
    "",
    "Commands:",
    ...COMMANDS.map(({ spec }) => `  ${spec.name.padEnd(9)} ${spec.summary}`),
    "",
    "Run `clickstream <command> --help` for the flags of a command.",
  ].join("\n");
}

/**
 * Resolves the command line and the environment into one {@linkcode Config}.
 * @param argv the arguments after the program name, e.g. `["train", "--trigger", "100ms"]`
 * @param env the environment (`KAFKA_BROKERS`, `KAFKA_TLS*`, `KAFKA_SASL_*`, `CLICKSTREAM_ADMIN_TOKEN`)
 * @throws {UsageError} on an unknown command, an unknown flag or a bad value
 */
export function resolveConfig(argv: readonly string[], env: Env): Config {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    return { command: "help", text: usage(rest[0]) };
  }
  const command = find(name);
  if (command === undefined) throw new UsageError(`Unknown command "${name}"`, usage());
  const flags = parseFlags(command.spec, rest);
  if (flags.help) return { command: "help", text: flags.usage() };
  return command.resolve(flags, env);
}
