/**
 * `clickstream quality`: measures how well each learning mode learns the generator's signal.
 * For each mode it runs, in-process and without Kafka, the same seeded stream of the generator of
 * `--profile` (default `original`, the original's session generator on its simulated clock at
 * 100 events/s; `funnel`, the shop funnel of `funnel_generator.ts`) through the featurizer, the model and the
 * prequential metrics in micro-batches of `--batch` events (default 10000, about what the
 * trainer's 1-second trigger collects at the load test's rate), then prints one table row per
 * mode — log loss, its ratio to the Bayes (best possible) log loss, AUC, accuracy, and the
 * majority accuracy and constant-rate log loss of the same events — and writes the rows as JSON.
 *
 * `events/s` is the whole in-process pipeline (generate + featurize + learn + score);
 * `model ev/s` is the model's `processBatch` alone.
 *
 * @module
 */

import { parseFlags, UsageError } from "../config/flags.ts";
import { createGenerator } from "../generator/create_generator.ts";
import { DEFAULT_PROFILE, type Profile } from "../generator/generator.ts";
import { FeatureBatch } from "../learn/feature_batch.ts";
import { FEATURE_NAMES, Featurizer } from "../learn/features.ts";
import { PrequentialMetrics } from "../learn/metrics.ts";
import { DEFAULT_MODE, LogisticModel, type Mode, type ModelOptions } from "../learn/model.ts";
import { QUALITY_COMMAND, type QualityConfig, resolveQuality } from "./quality_config.ts";

/** One row of the quality table (also the JSON written to `--out`). */
export interface QualityRow {
  /** The learning mode. */
  mode: Mode;
  /** Whether it is the default mode (`DEFAULT_MODE`), starred in the table. */
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
  /** Events per second of the whole in-process pipeline (generate, featurize, learn, score). */
  eventsPerSecond: number;
  /** Events per second of the model's `processBatch` alone. */
  modelEventsPerSecond: number;
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
  /** Model options besides the mode. Default: the model's defaults. */
  model?: Omit<ModelOptions, "mode">;
}

/** Runs one mode over the generator's stream and returns its table row. */
export function evaluateMode(mode: Mode, options: EvaluateOptions = {}): QualityRow {
  const events = options.events ?? 1_000_000;
  const seed = options.seed ?? 42;
  const batchSize = options.batchSize ?? 10_000;
  const driftAt = options.driftAt ?? Infinity;
  const profile = options.profile ?? DEFAULT_PROFILE;
  const gen = createGenerator(profile, { seed, driftAt });
  const featurizer = new Featurizer();
  const model = new LogisticModel(FEATURE_NAMES, { ...options.model, mode });
  const metrics = new PrequentialMetrics();
  const batch = new FeatureBatch(featurizer.width, { capacity: batchSize });
  let modelMs = 0;
  const t0 = performance.now();
  for (let done = 0; done < events;) {
    batch.clear();
    const n = Math.min(batchSize, events - done);
    for (let i = 0; i < n; i++) {
      featurizer.push(gen.next(), batch);
      batch.truth[i] = gen.probability;
    }
    const m0 = performance.now();
    model.processBatch(batch);
    modelMs += performance.now() - m0;
    metrics.addBatch(batch);
    done += n;
  }
  const seconds = (performance.now() - t0) / 1000;
  const { cumulative: c, rolling: r } = metrics.snapshot();
  const coef = model.coefficients();
  const coefficients: Record<string, number> = {};
  coef.names.forEach((name, j) => coefficients[name] = coef.rawWeights[j]);
  coefficients.__intercept__ = coef.rawIntercept;
  return {
    mode,
    default: mode === DEFAULT_MODE,
    profile,
    events,
    batchSize,
    seed,
    driftAt: Number.isFinite(driftAt) ? driftAt : null,
    logLoss: c.logLoss,
    bayesLogLoss: c.bayesLogLoss,
    ratioToBayes: c.ratioToBayes,
    auc: c.auc,
    aucErrorBound: c.aucErrorBound,
    bayesAuc: c.bayesAuc,
    accuracy: c.accuracy,
    majorityAccuracy: c.majorityAccuracy,
    constantLogLoss: c.constantLogLoss,
    rollingLogLoss: r.logLoss,
    rollingRatioToBayes: r.ratioToBayes,
    eventsPerSecond: events / seconds,
    modelEventsPerSecond: modelMs > 0 ? events / (modelMs / 1000) : Infinity,
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
    "mode",
    "events",
    "log loss",
    "/ Bayes",
    "AUC",
    "AUC ±",
    "accuracy",
    "majority",
    "const LL",
    "Bayes LL",
    "last 100k / Bayes",
    "events/s",
    "model ev/s",
  ];
  const body = rows.map((r) => [
    r.mode + (r.default ? "*" : ""),
    String(r.events),
    fmt(r.logLoss, 4),
    fmt(r.ratioToBayes, 4),
    fmt(r.auc, 4),
    fmt(r.aucErrorBound, 4),
    fmt(r.accuracy, 4),
    fmt(r.majorityAccuracy, 4),
    fmt(r.constantLogLoss, 4),
    fmt(r.bayesLogLoss, 4),
    fmt(r.rollingRatioToBayes, 4),
    rate(r.eventsPerSecond),
    rate(r.modelEventsPerSecond),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/**
 * The `quality` command: runs the modes, prints the table, writes the JSON. Takes the resolved
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
  const { events, seed, batchSize, profile } = config;
  const driftAt = config.driftAt ?? Infinity;
  const rows: QualityRow[] = [];
  for (const mode of config.modes) {
    rows.push(evaluateMode(mode, { events, seed, batchSize, driftAt, profile }));
  }
  console.log(formatTable(rows));
  console.log(
    `\n* default mode. Prequential: every event scored before the model learns from it. ` +
      `Generator profile ${profile}, seed ${seed}, micro-batches of ${batchSize} events` +
      (Number.isFinite(driftAt) ? `, drift from event ${driftAt}` : "") + `. AUC is binned; ` +
      `the exact AUC lies within "AUC ±" of it. Bayes = the true probabilities ` +
      `(AUC ${fmt(rows[0].bayesAuc, 4)}).`,
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
