/**
 * The arguments of `topics` (`create <topic...>` or `list`) and their resolution into a
 * {@linkcode TopicsConfig}.
 *
 * @module
 */

import type { CommandSpec, Env, ParsedFlags } from "../config/flags.ts";
import { COMMON_FLAGS, type CommonConfig, resolveCommon } from "./common_config.ts";

/** `topics create|list`. */
export interface TopicsConfig extends CommonConfig {
  /** The command. */
  command: "topics";
  /** Create the topics, or list the broker's topics. */
  action: "create" | "list";
  /** The topics to create (none for `list`). */
  topics: string[];
}

/** `topics` and its flags. */
export const TOPICS_COMMAND: CommandSpec = {
  name: "topics",
  args: "create <topic...> | list",
  summary: "create or list topics",
  flags: COMMON_FLAGS,
};

/**
 * Resolves the arguments and flags of {@linkcode TOPICS_COMMAND} and the environment.
 * @throws {UsageError} without an action, on `create` without topics or `list` with some
 */
export function resolveTopics(flags: ParsedFlags, env: Env): TopicsConfig {
  const base = resolveCommon(flags, env);
  const [action, ...topics] = flags.positionals;
  if (action === "list" && topics.length === 0) {
    return { command: "topics", ...base, action, topics };
  }
  if (action === "create" && topics.length > 0) {
    return { command: "topics", ...base, action, topics };
  }
  throw flags.error(
    action === "create"
      ? "topics create needs at least one topic name"
      : `topics needs "create <topic...>" or "list"`,
  );
}
