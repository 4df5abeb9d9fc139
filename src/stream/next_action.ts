/**
 * The learn stage's next-action bookkeeping: the {@linkcode ActionCore} a `LearnStage`
 * (`learn_stage.ts`) learns besides the purchase model when its target is `action`, restored
 * from or started for a state ({@linkcode actionCoreFor}), and the buffer of the events'
 * classes it learns from ({@linkcode classesFor}).
 *
 * @module
 */

import { ActionCore } from "../learn/action_core.ts";
import { DEFAULT_TARGET, type Target } from "../learn/target.ts";
import type { LearnState } from "./learn_state.ts";

/**
 * The next-action model of a stage learning `target` from features `names`: `null` unless the
 * target is `action`; restored from `restore` when given, else new.
 *
 * @throws {TypeError} if `restore` learnt another target, or has no action model for `action`
 */
export function actionCoreFor(
  target: Target,
  names: readonly string[],
  restore?: LearnState,
): ActionCore | null {
  if (restore === undefined) return target === "action" ? new ActionCore(names) : null;
  const learnt = restore.target ?? DEFAULT_TARGET;
  if (learnt !== target) {
    throw new TypeError(
      `Cannot restore the learn stage: its checkpoint learnt --target ${learnt}, this stage learns --target ${target}; start from a fresh --state-dir or pass --target ${learnt}.`,
    );
  }
  if (target !== "action") return null;
  if (restore.action === undefined) {
    throw new TypeError(
      "Cannot restore the learn stage: its --target action state has no action model.",
    );
  }
  return ActionCore.fromJSON(restore.action, names);
}

/** `classes` if it holds `rows` classes, else a larger buffer (at least twice as long). */
export function classesFor(
  classes: Uint8Array<ArrayBuffer>,
  rows: number,
): Uint8Array<ArrayBuffer> {
  return classes.length < rows ? new Uint8Array(Math.max(rows, 2 * classes.length)) : classes;
}
