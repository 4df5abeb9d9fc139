/**
 * The flags of `send` and their resolution into a {@linkcode SendConfig}.
 *
 * @module
 */

import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import { duration, positiveInt } from "../config/values.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";

/** `send`: a few clicks and purchases, as the original's `sent_events.py`. */
export interface SendConfig extends CommonConfig {
  /** The command. */
  command: "send";
  /**
   * The topic to write to: `--topic`.
   * @default {"clickstream_v2"}
   */
  topic: string;
  /**
   * Events per round: `--count`.
   * @default {10}
   */
  count: number;
  /**
   * Send a round every {@linkcode SendConfig.intervalMs} until Ctrl-C: `--loop`.
   * @default {false}
   */
  loop: boolean;
  /**
   * The pause between rounds with `--loop`: `--interval`, in ms.
   * @default {2000}
   */
  intervalMs: number;
}

/** `send` and its flags. */
export const SEND_COMMAND: CommandSpec = {
  name: "send",
  summary: "send a few clicks and purchases (the original's sent_events.py)",
  flags: {
    topic: { type: "string", help: "topic to write to", default: "clickstream_v2" },
    count: { type: "string", help: "events per round", default: "10" },
    loop: { type: "boolean", help: "send a round every --interval until Ctrl-C" },
    interval: { type: "string", help: "pause between rounds with --loop", default: "2s" },
    ...COMMON_FLAGS,
  },
};

/**
 * Resolves the flags of {@linkcode SEND_COMMAND} and the environment.
 * @throws {UsageError} naming the flag on a bad value or a positional argument
 */
export function resolveSend(flags: ParsedFlags, env: Env): SendConfig {
  flags.noPositionals();
  return {
    command: "send",
    ...resolveCommon(flags, env),
    topic: flags.text("topic"),
    count: flags.value("count", positiveInt),
    loop: flags.on("loop"),
    intervalMs: flags.value("interval", duration),
  };
}
