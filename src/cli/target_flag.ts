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

/** `--class-weight purchase=W`: the weight of a purchase's loss in training (binary target). */
export const CLASS_WEIGHT_FLAG: FlagSpec = {
  type: "string",
  help: "purchase=W: weigh a purchase's loss by W in training (adagrad, the purchase target); " +
    "scores and serving stay calibrated (logit − ln W)",
  default: "purchase=1",
};

/**
 * The purchase class weight of `--class-weight purchase=W`.
 * @throws {UsageError} naming the flag and the value unless it is `purchase=W` with a finite
 * `W > 0`, or when `W ≠ 1` with `--target action` or a mode other than adagrad
 */
export function resolveClassWeight(
  flags: ParsedFlags,
  target: Target,
  modes: readonly Mode[],
  modeFlag: string,
): number {
  const text = flags.text("class-weight");
  const m = /^purchase=(.+)$/.exec(text);
  const w = m === null ? NaN : Number(m[1]);
  if (!(w > 0 && Number.isFinite(w))) {
    throw flags.error(
      `--class-weight must be purchase=W with a number W > 0, got "${text}"`,
    );
  }
  if (w === 1) return 1;
  if (target !== "purchase") {
    throw flags.error(
      `--class-weight ${text} is for --target purchase only, not --target ${target}.`,
    );
  }
  const bad = modes.find((mode) => mode !== "adagrad");
  if (bad !== undefined) {
    throw flags.error(
      `--class-weight ${text} learns by AdaGrad only, but --${modeFlag} asks for mode "${bad}": use --${modeFlag} adagrad.`,
    );
  }
  return w;
}
