/**
 * `--features`, the flag that picks a feature set (see `src/learn/feature_sets.ts`), declared once
 * for every command that featurizes (`train`, `featurize`, `quality`): a command adds
 * `features: FEATURE_SET_FLAG` to its flags and resolves it with
 * {@linkcode resolveFeatureSetName}; the configuration holds the name, and the command turns it
 * into the set with `featureSet(name)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CommandSpec, HELP_FLAG, parseFlags } from "../config/flags.ts";
 * import { FEATURE_SET_FLAG, resolveFeatureSetName } from "./feature_set_flag.ts";
 *
 * const spec: CommandSpec = {
 *   name: "featurize",
 *   summary: "turn events into rows",
 *   flags: { features: FEATURE_SET_FLAG, help: HELP_FLAG },
 * };
 * assert.equal(resolveFeatureSetName(parseFlags(spec, ["--features", "position"])), "position");
 * assert.equal(resolveFeatureSetName(parseFlags(spec, [])), "session");
 * ```
 *
 * @module
 */

import type { FlagSpec, ParsedFlags } from "../config/flags.ts";
import { listOf, oneOf } from "../config/values.ts";
import {
  DEFAULT_FEATURE_SET_NAME,
  FEATURE_SET_NAMES,
  type FeatureSetName,
} from "../learn/feature_sets.ts";

/** `--features <name>`: one feature set, default the registry's default. */
export const FEATURE_SET_FLAG: FlagSpec = {
  type: "string",
  help: "feature set: {choices}",
  choices: FEATURE_SET_NAMES,
  default: DEFAULT_FEATURE_SET_NAME,
};

/** `--features <a,b>`: a comma-separated list of feature sets, default all of them. */
export const FEATURE_SETS_FLAG: FlagSpec = {
  type: "string",
  help: "comma-separated feature sets among {choices}",
  choices: FEATURE_SET_NAMES,
  default: FEATURE_SET_NAMES.join(","),
};

/**
 * The feature set named by `--features` (declared as {@linkcode FEATURE_SET_FLAG}).
 * @throws {UsageError} naming the flag and the choices on an unknown name
 */
export function resolveFeatureSetName(flags: ParsedFlags): FeatureSetName {
  return flags.value("features", oneOf(FEATURE_SET_NAMES));
}

/**
 * The feature sets listed by `--features` (declared as {@linkcode FEATURE_SETS_FLAG}).
 * @throws {UsageError} naming the flag and the choices on an unknown name
 */
export function resolveFeatureSetNames(flags: ParsedFlags): FeatureSetName[] {
  return flags.value("features", listOf(FEATURE_SET_NAMES));
}
