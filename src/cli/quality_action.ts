/**
 * `clickstream quality --target action`: the multi-class counterpart of the quality table. For
 * each profile and feature set it runs the generator's seeded stream, in-process, through the
 * {@linkcode ActionLearner} (the featurizer with one session store, softmax regression by
 * AdaGrad, the multi-class metrics), and reports the prequential multi-class log loss beside the
 * generator's exact best (Bayes: the log loss of each event's true action distribution) and the
 * constant class-frequency baseline, the share `(LL − Bayes) / (const − Bayes)` left open, and
 * per class the log loss, precision and recall (the last two over the rolling window).
 *
 * @module
 */

import { ACTIONS, type WireEvent } from "../events/wire.ts";
import { createGenerator } from "../generator/create_generator.ts";
import { DEFAULT_PROFILE, type Profile } from "../generator/generator.ts";
import { ActionLearner } from "../learn/action_learner.ts";
import type { FeatureSet } from "../learn/feature_set.ts";
import { DEFAULT_FEATURE_SET, featureSet } from "../learn/feature_sets.ts";
import type { ClassMetrics } from "../learn/multiclass_metrics.ts";

/** One row of the multi-class quality table (also the JSON written to `--out`). */
export interface ActionQualityRow {
  /** Always `"action"`. */
  target: "action";
  /** Always `"adagrad"`. */
  mode: "adagrad";
  /** The feature set's name. */
  features: string;
  /** The generator profile. */
  profile: Profile;
  /** Events run. */
  events: number;
  /** Micro-batch size in events. */
  batchSize: number;
  /** Generator seed. */
  seed: number;
  /** Mean prequential multi-class log loss. */
  logLoss: number | null;
  /** Mean log loss of the generator's true action distributions (the best possible). */
  bayesLogLoss: number | null;
  /** Log loss of the constant (in-hindsight) class frequencies. */
  constantLogLoss: number | null;
  /** `logLoss / bayesLogLoss`. */
  ratioToBayes: number | null;
  /** `(logLoss − bayes) / (constant − bayes)`. */
  shareOpen: number | null;
  /** Log loss over the rolling window. */
  rollingLogLoss: number | null;
  /** Bayes log loss over the rolling window. */
  rollingBayesLogLoss: number | null;
  /** Accuracy of the most probable class over the rolling window. */
  rollingAccuracy: number | null;
  /** Per class, by action name. */
  classes: Record<string, ClassMetrics>;
  /** `confusion[true][predicted]` over the rolling window, classes in `ACTIONS` order. */
  confusion: number[][];
  /** Events per second of the whole in-process pipeline. */
  eventsPerSecond: number;
}

/** Options of {@linkcode evaluateAction}. */
export interface EvaluateActionOptions {
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
}

/** Runs the multi-class target over one profile's stream with one feature set. */
export function evaluateAction(options: EvaluateActionOptions = {}): ActionQualityRow {
  const events = options.events ?? 1_000_000;
  const seed = options.seed ?? 42;
  const batchSize = options.batchSize ?? 10_000;
  const profile = options.profile ?? DEFAULT_PROFILE;
  const set = typeof options.featureSet === "string"
    ? featureSet(options.featureSet)
    : options.featureSet ?? DEFAULT_FEATURE_SET;
  const gen = createGenerator(profile, { seed, driftAt: options.driftAt ?? Infinity });
  const learner = new ActionLearner({ featureSet: set, batchCapacity: batchSize });
  const k = ACTIONS.length;
  const truth = new Float64Array(batchSize * k);
  const t0 = performance.now();
  for (let done = 0; done < events;) {
    const n = Math.min(batchSize, events - done);
    const batch: WireEvent[] = new Array(n);
    for (let i = 0; i < n; i++) {
      batch[i] = gen.next();
      truth.set(gen.actionProbabilities, i * k);
    }
    learner.learn(batch, { truth });
    done += n;
  }
  const seconds = (performance.now() - t0) / 1000;
  const s = learner.metrics.snapshot();
  const classes: Record<string, ClassMetrics> = {};
  ACTIONS.forEach((a, c) => classes[a] = s.classes[c]);
  return {
    target: "action",
    mode: "adagrad",
    features: set.name,
    profile,
    events,
    batchSize,
    seed,
    logLoss: s.logLoss,
    bayesLogLoss: s.bayesLogLoss,
    constantLogLoss: s.constantLogLoss,
    ratioToBayes: s.logLoss !== null && s.bayesLogLoss !== null ? s.logLoss / s.bayesLogLoss : null,
    shareOpen: s.shareOpen,
    rollingLogLoss: s.rolling.logLoss,
    rollingBayesLogLoss: s.rolling.bayesLogLoss,
    rollingAccuracy: s.rolling.accuracy,
    classes,
    confusion: s.rolling.confusion,
    eventsPerSecond: events / seconds,
  };
}

function fmt(v: number | null, digits: number): string {
  return v === null ? "-" : v.toFixed(digits);
}

/** Renders multi-class rows as an aligned text table, then each row's per-class figures. */
export function formatActionTable(rows: ActionQualityRow[]): string {
  const head = [
    "profile",
    "features",
    "events",
    "log loss",
    "Bayes LL",
    "const LL",
    "/ Bayes",
    "open",
    "last 100k",
    "Bayes 100k",
    "accuracy",
    ...ACTIONS.flatMap((a) => [`${a} P`, `${a} R`, `${a} LL`]),
  ];
  const body = rows.map((r) => [
    r.profile,
    r.features,
    String(r.events),
    fmt(r.logLoss, 4),
    fmt(r.bayesLogLoss, 4),
    fmt(r.constantLogLoss, 4),
    fmt(r.ratioToBayes, 4),
    r.shareOpen === null ? "-" : `${(100 * r.shareOpen).toFixed(1)}%`,
    fmt(r.rollingLogLoss, 4),
    fmt(r.rollingBayesLogLoss, 4),
    fmt(r.rollingAccuracy, 4),
    ...ACTIONS.flatMap((a) => [
      fmt(r.classes[a].precision, 3),
      fmt(r.classes[a].recall, 3),
      fmt(r.classes[a].logLoss, 3),
    ]),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j < 2 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  const confusion = rows.map((r) =>
    `\n${r.profile} / ${r.features}: confusion over the last ${
      Math.min(r.events, 100_000)
    } events (rows true, columns predicted: ${ACTIONS.join(", ")})\n` +
    r.confusion.map((row, t) =>
      `  ${ACTIONS[t].padEnd(8)} ${row.map((v) => String(v).padStart(8)).join(" ")}`
    ).join("\n")
  );
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line), ...confusion]
    .join("\n");
}
