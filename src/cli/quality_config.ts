/**
 * The flags of `quality` and their resolution into a {@linkcode QualityConfig}. `quality` runs
 * in-process without Kafka, so it takes none of the Kafka flags.
 *
 * @module
 */

import { type CommandSpec, HELP_FLAG, type ParsedFlags } from "../config/flags.ts";
import { integer, listOf, positiveInt } from "../config/values.ts";
import type { FeatureSetName } from "../learn/feature_sets.ts";
import { type Mode, MODES } from "../learn/model.ts";
import { DEFAULT_PROFILE, type Profile, PROFILES } from "../generator/generator.ts";
import type { Target } from "../learn/target.ts";
import { FEATURE_SETS_FLAG, resolveFeatureSetNames } from "./feature_set_flag.ts";
import {
  CLASS_WEIGHT_FLAG,
  resolveClassWeight,
  resolveTarget,
  TARGET_FLAG,
} from "./target_flag.ts";

/** `quality`: every learning mode and feature set over the same seeded generator stream. */
export interface QualityConfig {
  /** The command. */
  command: "quality";
  /**
   * Events per run: `--events`.
   * @default {1000000}
   */
  events: number;
  /**
   * Generator seed: `--seed`.
   * @default {42}
   */
  seed: number;
  /**
   * The modes to run, in order: `--modes`, comma-separated.
   * @default {["seed", "adagrad", "ftrl"]}
   */
  modes: Mode[];
  /**
   * The feature sets to run, in order: `--features`, comma-separated.
   * @default {["position", "session", "fields", "shop"]}
   */
  featureSets: FeatureSetName[];
  /**
   * Micro-batch size in events: `--batch`.
   * @default {10000}
   */
  batchSize: number;
  /**
   * The generator drifts from this event on: `--drift-at`; `null` is never.
   * @default {null}
   */
  driftAt: number | null;
  /**
   * The generator profiles to run, in order: `--profile`, comma-separated.
   * @default {["original"]}
   */
  profiles: Profile[];
  /**
   * The JSON output file: `--out`; `null` (`--out -`) writes none.
   * @default {"quality.json"}
   */
  out: string | null;
  /**
   * What the model learns: `--target`. With `action` the modes default to `adagrad`, the only
   * one it learns by.
   * @default {"purchase"}
   */
  target: Target;
  /**
   * The purchase class weight: `--class-weight purchase=W` (adagrad, `--target purchase`).
   * @default {1}
   */
  classWeight: number;
}

/** `quality` and its flags. */
export const QUALITY_COMMAND: CommandSpec = {
  name: "quality",
  summary: "run each learning mode and feature set over the generator's stream",
  description:
    "Runs each learning mode and feature set over the same seeded generator stream of each\n" +
    "profile (in-process, no Kafka, through the trainer's learner with its defaults: drift\n" +
    "detection on) and prints prequential log loss, ratio to Bayes, AUC and accuracy beside\n" +
    "their baselines.",
  flags: {
    events: { type: "string", help: "events per run", default: "1000000" },
    seed: { type: "string", help: "generator seed", default: "42" },
    modes: {
      type: "string",
      help: "comma-separated modes among {choices}",
      choices: MODES,
      default: MODES.join(","),
    },
    features: FEATURE_SETS_FLAG,
    batch: { type: "string", help: "micro-batch size in events", default: "10000" },
    "drift-at": { type: "string", help: "the generator drifts from event N on (default: never)" },
    profile: {
      type: "string",
      help: "comma-separated generator profiles among {choices}",
      choices: PROFILES,
      default: DEFAULT_PROFILE,
    },
    out: { type: "string", help: `JSON output file ("-" for none)`, default: "quality.json" },
    target: TARGET_FLAG,
    "class-weight": CLASS_WEIGHT_FLAG,
    help: HELP_FLAG,
  },
};

/**
 * Resolves the flags of {@linkcode QUALITY_COMMAND}.
 * @throws {UsageError} naming the flag on a bad value or a positional argument
 */
export function resolveQuality(flags: ParsedFlags): QualityConfig {
  flags.noPositionals();
  const out = flags.text("out");
  const action = flags.text("target") === "action";
  const modes: Mode[] = action && flags.given("modes") === undefined
    ? ["adagrad"]
    : flags.value("modes", listOf(MODES));
  const target = resolveTarget(flags, modes, "modes");
  return {
    command: "quality",
    events: flags.value("events", positiveInt),
    seed: flags.value("seed", integer),
    modes,
    target,
    classWeight: resolveClassWeight(flags, target, modes, "modes"),
    featureSets: resolveFeatureSetNames(flags),
    batchSize: flags.value("batch", positiveInt),
    driftAt: flags.optional("drift-at", positiveInt),
    profiles: flags.value("profile", listOf(PROFILES)),
    out: out === "-" ? null : out,
  };
}
