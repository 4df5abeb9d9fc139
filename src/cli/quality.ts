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

import { parseArgs } from "node:util";
import { createGenerator } from "../generator/create_generator.ts";
import { DEFAULT_PROFILE, type Profile, PROFILES } from "../generator/generator.ts";
import { FeatureBatch } from "../learn/feature_batch.ts";
import { FEATURE_NAMES, Featurizer } from "../learn/features.ts";
import { PrequentialMetrics } from "../learn/metrics.ts";
import {
  DEFAULT_MODE,
  LogisticModel,
  type Mode,
  type ModelOptions,
  MODES,
} from "../learn/model.ts";

const USAGE = `Usage: clickstream quality [flags]

Runs each learning mode over the same seeded generator stream (in-process, no Kafka) and
prints prequential log loss, ratio to Bayes, AUC and accuracy beside their baselines.

Flags:
  --events N      events per mode (default 1000000)
  --seed N        generator seed (default 42)
  --modes LIST    comma-separated modes among ${MODES.join(", ")} (default seed,adagrad,ftrl)
  --batch N       micro-batch size in events (default 10000)
  --drift-at N    the generator drifts from event N on (default: never)
  --profile NAME  generator profile: ${PROFILES.join(" | ")} (default ${DEFAULT_PROFILE})
  --out FILE      JSON output file (default quality.json; "-" for none)
  --help          this text
`;

/** One row of the quality table (also the JSON written to `--out`). */
export interface QualityRow {
  mode: Mode;
  default: boolean;
  profile: Profile;
  events: number;
  batchSize: number;
  seed: number;
  driftAt: number | null;
  logLoss: number | null;
  bayesLogLoss: number | null;
  ratioToBayes: number | null;
  auc: number | null;
  aucErrorBound: number | null;
  bayesAuc: number | null;
  accuracy: number | null;
  majorityAccuracy: number | null;
  constantLogLoss: number | null;
  rollingLogLoss: number | null;
  rollingRatioToBayes: number | null;
  eventsPerSecond: number;
  modelEventsPerSecond: number;
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

function positiveInteger(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `Cannot run quality with ${name} ${JSON.stringify(text)}: expected a positive integer.`,
    );
  }
  return v;
}

/**
 * The `quality` command: parses its own flags from `argv`, runs the modes, prints the table,
 * writes the JSON. Returns the exit code: 0 on success, 2 on a bad flag (after printing usage).
 */
export async function runQuality(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        events: { type: "string", default: "1000000" },
        seed: { type: "string", default: "42" },
        modes: { type: "string", default: "seed,adagrad,ftrl" },
        batch: { type: "string", default: "10000" },
        "drift-at": { type: "string" },
        profile: { type: "string", default: DEFAULT_PROFILE },
        out: { type: "string", default: "quality.json" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`quality: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let events: number, seed: number, batchSize: number, driftAt = Infinity, profile: Profile;
  const modes: Mode[] = [];
  try {
    events = positiveInteger("--events", values.events);
    batchSize = positiveInteger("--batch", values.batch);
    if (values["drift-at"] !== undefined) {
      driftAt = positiveInteger("--drift-at", values["drift-at"]);
    }
    if (!(PROFILES as readonly string[]).includes(values.profile)) {
      throw new RangeError(
        `Cannot run quality with --profile ${JSON.stringify(values.profile)}: expected one of ${
          PROFILES.join(", ")
        }.`,
      );
    }
    profile = values.profile as Profile;
    seed = Number(values.seed);
    if (!Number.isInteger(seed)) {
      throw new RangeError(
        `Cannot run quality with --seed ${JSON.stringify(values.seed)}: expected an integer.`,
      );
    }
    for (const m of values.modes.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
      if (!(MODES as readonly string[]).includes(m)) {
        throw new RangeError(
          `Cannot run quality with mode ${JSON.stringify(m)}: expected one of ${MODES.join(", ")}.`,
        );
      }
      modes.push(m as Mode);
    }
    if (modes.length === 0) throw new RangeError("Cannot run quality with no --modes.");
  } catch (e) {
    console.error(`quality: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const rows: QualityRow[] = [];
  for (const mode of modes) {
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
  if (values.out !== "-") {
    await Deno.writeTextFile(values.out, JSON.stringify(rows, null, 2) + "\n");
    console.log(`wrote ${values.out}`);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await runQuality(Deno.args));
}
