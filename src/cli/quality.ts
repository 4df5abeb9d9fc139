/**
 * `clickstream quality`: measures how well each learning mode and feature set learns the
 * generator's signal. For each profile, feature set and mode it runs, in-process and without
 * Kafka, the same seeded stream of the generator of `--profile` (default `original`, the
 * original's session generator on its simulated clock at 100 events/s; `funnel`, the shop funnel
 * of `funnel_generator.ts`) through the trainer's own pipeline — the {@linkcode Learner}: the
 * featurizer of `--features` with one session store (the trainer's on one partition) and the
 * {@linkcode BatchLearner} the learn stage runs, with the same defaults as `train` (drift
 * detection on in the per-event modes, no reaction) — in micro-batches of `--batch` events
 * (default 10000, about what the trainer's 1-second trigger collects at the load test's rate),
 * then prints one table row per run — log loss, its ratio to the Bayes (best possible) log loss,
 * the share of the room between the constant rate and Bayes it leaves open, AUC, accuracy, the
 * majority accuracy and constant-rate log loss of the same events, drifts detected — and writes
 * the rows as JSON.
 *
 * `events/s` is the whole in-process pipeline (generate + featurize + learn + score);
 * `learner ev/s` is the learner alone (featurize + score + learn + measure + drift).
 *
 * @module
 */

import process from "node:process";
import { parseFlags, UsageError } from "../config/flags.ts";
import { ACTIONS, type WireEvent } from "../events/wire.ts";
import { createGenerator } from "../generator/create_generator.ts";
import { DEFAULT_PROFILE, type Profile } from "../generator/generator.ts";
import type { BatchLearner } from "../learn/batch_learner.ts";
import type { FeatureSet } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET, featureSet } from "../learn/feature_sets.ts";
import { Learner } from "../learn/learner.ts";
import { DEFAULT_MODE, type Mode, type ModelOptions } from "../learn/model.ts";
import { type ActionQualityRow, evaluateAction, formatActionTable } from "./quality_action.ts";
import { QUALITY_COMMAND, type QualityConfig, resolveQuality } from "./quality_config.ts";

/** One row of the quality table (also the JSON written to `--out`). */
export interface QualityRow {
  /** The learning mode. */
  mode: Mode;
  /** The feature set's name. */
  features: string;
  /**
   * Whether it is the default mode (`DEFAULT_MODE`) and feature set (`DEFAULT_FEATURE_SET`):
   * what `train` runs when given neither.
   */
  default: boolean;
  /** The generator profile the stream came from. */
  profile: Profile;
  /** Events run through the mode. */
  events: number;
  /** Micro-batch size in events. */
  batchSize: number;
  /** Generator seed. */
  seed: number;
  /** The event the generator drifts from, or `null` for never. */
  driftAt: number | null;
  /** Mean prequential log loss over all events. */
  logLoss: number | null;
  /** Mean log loss of the generator's true probabilities (the best possible). */
  bayesLogLoss: number | null;
  /** `logLoss / bayesLogLoss`. */
  ratioToBayes: number | null;
  /**
   * The share of the room between the constant rate and Bayes left open:
   * `(logLoss − bayesLogLoss) / (constantLogLoss − bayesLogLoss)` (0 is the best possible).
   */
  shareOpen: number | null;
  /** Binned ROC AUC of the scores. */
  auc: number | null;
  /** The exact AUC is within this of `auc`. */
  aucErrorBound: number | null;
  /** Binned AUC of the true probabilities. */
  bayesAuc: number | null;
  /** Accuracy at threshold 0.5. */
  accuracy: number | null;
  /** Accuracy of always predicting the majority class. */
  majorityAccuracy: number | null;
  /** Log loss of predicting the (in-hindsight) purchase rate for every event. */
  constantLogLoss: number | null;
  /** Mean log loss over the last 100,000 events. */
  rollingLogLoss: number | null;
  /** `rollingLogLoss` over the Bayes log loss of the same events. */
  rollingRatioToBayes: number | null;
  /** Drifts the detector signalled (`null` when detection is off, as in `seed` mode). */
  drifts: number | null;
  /** Events per second of the whole in-process pipeline (generate, featurize, learn, score). */
  eventsPerSecond: number;
  /** Events per second of the learner alone (featurize, score, learn, measure, drift). */
  learnerEventsPerSecond: number;
  /**
   * CPU seconds (user + system, of the whole process: its GC threads included) per million
   * events while the learner alone ran (the span of `learnerEventsPerSecond`).
   */
  learnerCpuSecondsPerMillion: number;
  /** The purchase class weight W of training (`--class-weight purchase=W`; 1: none). */
  classWeight: number;
  /**
   * Recall on purchases of the weighted model's decision (its training probability ≥ 0.5,
   * i.e. the calibrated probability ≥ 1 / (1 + W)).
   */
  purchaseRecall: number | null;
  /** Precision of the same decision. */
  purchasePrecision: number | null;
  /** The learned raw weights by feature name, and `__intercept__`. */
  coefficients: Record<string, number>;
}

/** Options of {@linkcode evaluateMode}. */
export interface EvaluateOptions {
  /** Events to generate. Default `1000000`. */
  events?: number;
  /** Generator seed. Default `42`. */
  seed?: number;
  /** Micro-batch size. Default `10000`. */
  batchSize?: number;
  /** Generator event index from which the purchase probability drifts. Default `Infinity`. */
  driftAt?: number;
  /** Generator profile. Default `"original"`. */
  profile?: Profile;
  /** The features, by name or as the set. Default `DEFAULT_FEATURE_SET`. */
  featureSet?: string | FeatureSet;
  /** Model options besides the mode (e.g. `classWeight`). Default: the model's defaults. */
  model?: Omit<ModelOptions, "mode">;
}

/**
 * Runs one mode and feature set over the generator's stream through the trainer's learner, and
 * returns its table row.
 */
export function evaluateMode(mode: Mode, options: EvaluateOptions = {}): QualityRow {
  const events = options.events ?? 1_000_000;
  const seed = options.seed ?? 42;
  const batchSize = options.batchSize ?? 10_000;
  const driftAt = options.driftAt ?? Infinity;
  const profile = options.profile ?? DEFAULT_PROFILE;
  const set = typeof options.featureSet === "string"
    ? featureSet(options.featureSet)
    : options.featureSet ?? DEFAULT_FEATURE_SET;
  const gen = createGenerator(profile, { seed, driftAt });
  const learner = new Learner({
    ...options.model,
    mode,
    featureSet: set,
    batchCapacity: batchSize,
  });
  const weight = options.model?.classWeight ?? 1;
  const threshold = 1 / (1 + weight);
  let tp = 0, positives = 0, predicted = 0;
  let learnerMs = 0, learnerCpuMicros = 0;
  const t0 = performance.now();
  for (let done = 0; done < events;) {
    const n = Math.min(batchSize, events - done);
    const batch: WireEvent[] = new Array(n);
    const truth = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      batch[i] = gen.next();
      truth[i] = gen.probability;
    }
    const c0 = process.cpuUsage();
    const l0 = performance.now();
    const rows = learner.learn(batch, { truth });
    learnerMs += performance.now() - l0;
    const cpu = process.cpuUsage(c0);
    learnerCpuMicros += cpu.user + cpu.system;
    for (let i = 0; i < rows.length; i++) {
      const yes = rows.scores[i] >= threshold;
      if (yes) predicted++;
      if (rows.labels[i] === 1) {
        positives++;
        if (yes) tp++;
      }
    }
    done += n;
  }
  const seconds = (performance.now() - t0) / 1000;
  return qualityRow(learner, {
    mode,
    features: set.name,
    default: mode === DEFAULT_MODE && set === DEFAULT_FEATURE_SET,
    profile,
    events,
    batchSize,
    seed,
    driftAt: Number.isFinite(driftAt) ? driftAt : null,
    eventsPerSecond: events / seconds,
    learnerEventsPerSecond: learnerMs > 0 ? events / (learnerMs / 1000) : Infinity,
    learnerCpuSecondsPerMillion: learnerCpuMicros / events,
    classWeight: weight,
    purchaseRecall: positives > 0 ? tp / positives : null,
    purchasePrecision: predicted > 0 ? tp / predicted : null,
  });
}

function qualityRow(
  learner: Pick<BatchLearner, "snapshot" | "model" | "drift">,
  run: Pick<
    QualityRow,
    | "mode"
    | "features"
    | "default"
    | "profile"
    | "events"
    | "batchSize"
    | "seed"
    | "driftAt"
    | "eventsPerSecond"
    | "learnerEventsPerSecond"
    | "learnerCpuSecondsPerMillion"
    | "classWeight"
    | "purchaseRecall"
    | "purchasePrecision"
  >,
): QualityRow {
  const { cumulative: c, rolling: r } = learner.snapshot();
  const coef = learner.model.coefficients();
  const coefficients: Record<string, number> = {};
  coef.names.forEach((name, j) => coefficients[name] = coef.rawWeights[j]);
  coefficients.__intercept__ = coef.rawIntercept;
  const open = c.logLoss !== null && c.bayesLogLoss !== null && c.constantLogLoss !== null &&
      c.constantLogLoss > c.bayesLogLoss
    ? (c.logLoss - c.bayesLogLoss) / (c.constantLogLoss - c.bayesLogLoss)
    : null;
  return {
    ...run,
    logLoss: c.logLoss,
    bayesLogLoss: c.bayesLogLoss,
    ratioToBayes: c.ratioToBayes,
    shareOpen: open,
    auc: c.auc,
    aucErrorBound: c.aucErrorBound,
    bayesAuc: c.bayesAuc,
    accuracy: c.accuracy,
    majorityAccuracy: c.majorityAccuracy,
    constantLogLoss: c.constantLogLoss,
    rollingLogLoss: r.logLoss,
    rollingRatioToBayes: r.ratioToBayes,
    drifts: learner.drift === null ? null : learner.drift.drifts,
    coefficients,
  };
}

function fmt(v: number | null, digits: number): string {
  return v === null ? "-" : v.toFixed(digits);
}

function rate(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(0)}k`;
}

/** Renders rows as an aligned text table. */
export function formatTable(rows: QualityRow[]): string {
  const head = [
    "profile",
    "features",
    "mode",
    "events",
    "log loss",
    "/ Bayes",
    "open",
    "AUC",
    "AUC ±",
    "accuracy",
    "majority",
    "const LL",
    "Bayes LL",
    "last 100k / Bayes",
    "drifts",
    "W",
    "recall",
    "precision",
    "events/s",
    "learner ev/s",
  ];
  const body = rows.map((r) => [
    r.profile,
    r.features + (r.features === DEFAULT_FEATURE_SET.name ? "*" : ""),
    r.mode + (r.mode === DEFAULT_MODE ? "*" : ""),
    String(r.events),
    fmt(r.logLoss, 4),
    fmt(r.ratioToBayes, 4),
    r.shareOpen === null ? "-" : `${(100 * r.shareOpen).toFixed(1)}%`,
    fmt(r.auc, 4),
    fmt(r.aucErrorBound, 4),
    fmt(r.accuracy, 4),
    fmt(r.majorityAccuracy, 4),
    fmt(r.constantLogLoss, 4),
    fmt(r.bayesLogLoss, 4),
    fmt(r.rollingRatioToBayes, 4),
    r.drifts === null ? "off" : String(r.drifts),
    String(r.classWeight),
    fmt(r.purchaseRecall, 4),
    fmt(r.purchasePrecision, 4),
    rate(r.eventsPerSecond),
    rate(r.learnerEventsPerSecond),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j < 3 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/**
 * The `quality` command: runs every profile × feature set × mode, prints the table, writes the
 * JSON. Takes the resolved
 * configuration, or a command line (`deno run src/cli/quality.ts --events 200k`, and tests),
 * which it resolves with the same flags. Returns the exit code: 0 on success, 2 on a bad flag
 * (after printing the message and the usage).
 */
export async function runQuality(input: QualityConfig | readonly string[]): Promise<number> {
  let config: QualityConfig;
  if ("command" in input) {
    config = input;
  } else {
    try {
      const flags = parseFlags(QUALITY_COMMAND, input);
      if (flags.help) {
        console.log(flags.usage());
        return 0;
      }
      config = resolveQuality(flags);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(`error: ${error.message}\n\n${error.usage}`);
      return 2;
    }
  }
  const { events, seed, batchSize } = config;
  const driftAt = config.driftAt ?? Infinity;
  if (config.target === "action") {
    const rows: ActionQualityRow[] = [];
    for (const profile of config.profiles) {
      for (const features of config.featureSets) {
        rows.push(
          evaluateAction({ events, seed, batchSize, driftAt, profile, featureSet: features }),
        );
      }
    }
    console.log(formatActionTable(rows));
    console.log(
      `\nTarget action: softmax regression over ${ACTIONS.join(", ")} by AdaGrad, prequential ` +
        `(every event scored before the model learns from it). Seed ${seed}, micro-batches of ` +
        `${batchSize} events. Bayes = the generator's exact action distribution of each event; ` +
        `const = the class frequencies in hindsight; "open" = (log loss − Bayes) / (const − Bayes). ` +
        `P and R (precision, recall of the most probable class) over the last 100k events; LL per class cumulative.`,
    );
    if (config.out !== null) {
      await Deno.writeTextFile(config.out, JSON.stringify(rows, null, 2) + "\n");
      console.log(`wrote ${config.out}`);
    }
    return 0;
  }
  const rows: QualityRow[] = [];
  for (const profile of config.profiles) {
    for (const features of config.featureSets) {
      for (const mode of config.modes) {
        rows.push(
          evaluateMode(mode, {
            events,
            seed,
            batchSize,
            driftAt,
            profile,
            featureSet: features,
            model: { classWeight: config.classWeight },
          }),
        );
      }
    }
  }
  console.log(formatTable(rows));
  const bayesAuc = config.profiles.map((p) =>
    `${p} ${fmt(rows.find((r) => r.profile === p)?.bayesAuc ?? null, 4)}`
  );
  console.log(
    `\n* default feature set and mode. Prequential: every event scored before the model learns ` +
      `from it, through the trainer's learner with its defaults (drift detection on, no ` +
      `reaction; off in seed mode). Seed ${seed}, micro-batches of ${batchSize} events` +
      (Number.isFinite(driftAt) ? `, drift from event ${driftAt}` : "") + `. "open" = ` +
      `(log loss − Bayes) / (const LL − Bayes). AUC is binned; the exact AUC lies within ` +
      `"AUC ±" of it. Bayes = the true probabilities (AUC ${bayesAuc.join(", ")}). ` +
      `W = the purchase class weight of training; scores are calibrated (logit − ln W); ` +
      `recall/precision on purchases of the decision "calibrated p ≥ 1/(1+W)" (0.5 unweighted).`,
  );
  if (config.out !== null) {
    await Deno.writeTextFile(config.out, JSON.stringify(rows, null, 2) + "\n");
    console.log(`wrote ${config.out}`);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await runQuality(Deno.args));
}
