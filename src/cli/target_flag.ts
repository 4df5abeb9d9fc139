/**
 * `--target purchase|action`, declared once for the commands that learn (`train`, `learn`,
 * `quality`), and the rule that goes with it: the multi-class target learns by AdaGrad only, so
 * with `--target action` any other mode is refused.
 *
 * @module
 */

import type { FlagSpec, ParsedFlags } from "../config/flags.ts";
import { oneOf } from "../config/values.ts";
import type { Mode } from "../learn/model.ts";
import { DEFAULT_TARGET, type Target, TARGETS } from "../learn/target.ts";

/** `--target <name>`: what the model learns. */
export const TARGET_FLAG: FlagSpec = {
  type: "string",
  help: "what the model learns: {choices} (action: the next action's class, adagrad only)",
  choices: TARGETS,
  default: DEFAULT_TARGET,
};

/**
 * The target named by `--target`, checked against the modes to run.
 * @throws {UsageError} naming the flag on an unknown target, or naming the mode and `--mode(s)`
 * when `--target action` is given with a mode other than adagrad
 */
export function resolveTarget(
  flags: ParsedFlags,
  modes: readonly Mode[],
  modeFlag: string,
): Target {
  const target = flags.value("target", oneOf(TARGETS)) as Target;
  const bad = modes.find((m) => m !== "adagrad");
  if (target === "action" && bad !== undefined) {
    throw flags.error(
      `--target action learns by AdaGrad only, but --${modeFlag} asks for mode "${bad}": use --${modeFlag} adagrad.`,
    );
  }
  return target;
}
