/**
 * `--max-sessions` and `--session-idle`, the bounds of each input partition's session store
 * (`src/learn/session_store.ts`), declared once for every command that keeps sessions (`train`,
 * `featurize`): a command adds `...SESSION_LIMIT_FLAGS` to its flags and resolves them with
 * {@linkcode resolveSessionLimits}. Both bounds are deterministic functions of the stream: the
 * idle expiry is in *event time* (against the partition's highest timestamp seen), the cap evicts
 * the least recently seen session — never wall-clock time, so a killed and restarted trainer
 * keeps exactly the sessions an unkilled one keeps.
 *
 * The defaults are the store's own (100,000 sessions, 30 minutes), which bound its memory by
 * default: 173 bytes per live session of the default feature set, `shop` (`bench/session_bytes.ts`
 * at 1M sessions), some 17 MB per partition at the cap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CommandSpec, HELP_FLAG, parseFlags } from "../config/flags.ts";
 * import { resolveSessionLimits, SESSION_LIMIT_FLAGS } from "./session_limits_flag.ts";
 *
 * const spec: CommandSpec = {
 *   name: "train",
 *   summary: "learn",
 *   flags: { ...SESSION_LIMIT_FLAGS, help: HELP_FLAG },
 * };
 * assert.deepEqual(
 *   resolveSessionLimits(parseFlags(spec, ["--max-sessions", "1M", "--session-idle", "2h"])),
 *   { maxSessions: 1_000_000, idleSeconds: 7200 },
 * );
 * assert.deepEqual(resolveSessionLimits(parseFlags(spec, [])), {
 *   maxSessions: 100_000,
 *   idleSeconds: 1800,
 * });
 * ```
 *
 * @module
 */

import type { FlagSpecs, ParsedFlags } from "../config/flags.ts";
import { duration, positiveInt } from "../config/values.ts";

/** The bounds of a session store as the flags give them. */
export interface SessionLimits {
  /**
   * Live sessions per input partition at most; beyond, the least recently seen is evicted:
   * `--max-sessions`.
   * @default {100000}
   */
  maxSessions: number;
  /**
   * A session idle this long in event time is forgotten, seconds: `--session-idle`.
   * @default {1800}
   */
  idleSeconds: number;
}

/** The defaults of {@linkcode SESSION_LIMIT_FLAGS}: the session store's own. */
export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({
  maxSessions: 100_000,
  idleSeconds: 1800,
});

/** `--max-sessions <n>` and `--session-idle <duration>`. */
export const SESSION_LIMIT_FLAGS: FlagSpecs = {
  "max-sessions": {
    type: "string",
    help: "live sessions per input partition at most (the least recently seen is evicted)",
    default: String(DEFAULT_SESSION_LIMITS.maxSessions),
  },
  "session-idle": {
    type: "string",
    help: "forget a session idle this long in event time (e.g. 30m, 24h)",
    default: `${DEFAULT_SESSION_LIMITS.idleSeconds / 60}m`,
  },
};

/**
 * The bounds given by {@linkcode SESSION_LIMIT_FLAGS}.
 * @throws {UsageError} naming the flag on a count below 1, or an idle time below one second
 */
export function resolveSessionLimits(flags: ParsedFlags): SessionLimits {
  const maxSessions = flags.value("max-sessions", positiveInt);
  const idleMs = flags.value("session-idle", duration);
  if (!(idleMs >= 1000)) {
    throw flags.error(
      `--session-idle must be at least 1s (event times are in seconds), got "${
        flags.text("session-idle")
      }"`,
    );
  }
  return { maxSessions, idleSeconds: idleMs / 1000 };
}
