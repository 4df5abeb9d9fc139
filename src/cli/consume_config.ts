/**
 * The flags of `consume` and their resolution into a {@linkcode ConsumeConfig}.
 *
 * @module
 */

import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import { positiveInt } from "../config/values.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";

/** `consume`: print events, DLQ records with their headers, or predictions. */
export interface ConsumeConfig extends CommonConfig {
  /** The command. */
  command: "consume";
  /**
   * The topic to read: `--topic`.
   * @default {"clickstream_v2"}
   */
  topic: string;
  /**
   * Decode the records into typed events (bad records are reported): `--typed`.
   * @default {false}
   */
  typed: boolean;
  /**
   * Start at the earliest offset, not the latest: `--from-beginning`.
   * @default {false}
   */
  fromBeginning: boolean;
  /**
   * Consumer group: `--group`; `null` means a fresh throw-away group per run.
   * @default {null}
   */
  group: string | null;
  /**
   * Stop after this many records: `--max`; `null` runs until Ctrl-C.
   * @default {null}
   */
  max: number | null;
}

/** `consume` and its flags. */
export const CONSUME_COMMAND: CommandSpec = {
  name: "consume",
  summary: "print events (or DLQ records with their headers, or predictions)",
  flags: {
    topic: { type: "string", help: "topic to read", default: "clickstream_v2" },
    typed: { type: "boolean", help: "decode into typed events (bad records are reported)" },
    "from-beginning": { type: "boolean", help: "start at the earliest offset, not the latest" },
    group: { type: "string", help: "consumer group (default: a fresh group per run)" },
    max: { type: "string", help: "stop after this many records" },
    ...COMMON_FLAGS,
  },
};

/**
 * Resolves the flags of {@linkcode CONSUME_COMMAND} and the environment.
 * @throws {UsageError} naming the flag on a bad value or a positional argument
 */
export function resolveConsume(flags: ParsedFlags, env: Env): ConsumeConfig {
  flags.noPositionals();
  return {
    command: "consume",
    ...resolveCommon(flags, env),
    topic: flags.text("topic"),
    typed: flags.on("typed"),
    fromBeginning: flags.on("from-beginning"),
    group: flags.given("group") ?? null,
    max: flags.optional("max", positiveInt),
  };
}
