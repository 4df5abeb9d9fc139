/**
 * `deno task bench:river`: our learner against River, the peer the original project suggested,
 * on the same events. For each feature set of `--features` it exports the events of `--profile`
 * (seed `--seed`, `--events` of them) with the features our featurizer computes, as JSON lines
 * (`bench/river/export.ts`), once; then, `--rounds` times, alternating which side goes first:
 *
 * - **ours**: the same events through the trainer's learner with its defaults, by the `quality`
 *   command's own code path (`evaluateMode` of `src/cli/quality.ts`, default mode, micro-batches
 *   of 10,000). Timed: the learner alone (`learner ev/s` of `quality`: featurize, standardize,
 *   score, learn, metrics, drift), by wall clock and by the process's CPU time;
 * - **River** (`bench/river/prequential.py`, in the environment of `bench/river/venv.ts`, River
 *   `RIVER_VERSION`): `preprocessing.StandardScaler() |
 *   linear_model.LogisticRegression(optimizer=optim.AdaGrad(lr))` (for a set with hashed url
 *   buckets, `h<i>` keys, the scaler over the dense features only, as ours: see the script),
 *   prequential event by event (`predict_proba_one`, then `learn_one`), for every learning
 *   rate of the grid `--lrs` (0.01, 0.1, 0.5) in the first round, the best of them again in
 *   the later ones (the grid costs three times a run, and the log losses do not change between
 *   rounds). Timed: the
 *   predict–loss–learn loop alone, by wall clock and by CPU time; reading and parsing the JSON
 *   is not (River gets the features ready-made, ours computes them inside its timed span).
 *
 * Both log losses clamp probabilities to [1e-15, 1 − 1e-15]; "open" is the share of the room
 * between the constant rate and the best possible log loss left open,
 * `(LL − Bayes) / (constant − Bayes)`, with Bayes (the generator's exact probabilities) and the
 * in-hindsight constant rate of the same events — computed on both sides and checked equal, which
 * checks that both saw the same events. Log losses are deterministic (the same every round);
 * the rates are the medians over the rounds, each round's listed. The load average is printed
 * before and after, since the machine is shared: CPU-s per million events is the steadier
 * figure.
 *
 * ```sh
 * deno task bench:river [--profile original|funnel] [--events 1000000] [--features session,fields]
 *   [--lrs 0.01,0.1,0.5] [--rounds 3] [--seed 42] [--keep DIR] [--venv DIR] [--json FILE]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { evaluateMode, type QualityRow } from "../src/cli/quality.ts";
import { type Profile, PROFILES } from "../src/generator/generator.ts";
import { AdaGrad } from "../src/learn/adagrad.ts";
import { DEFAULT_FEATURE_SET, featureSet } from "../src/learn/feature_sets.ts";
import { DEFAULT_MODE } from "../src/learn/model.ts";
import { exportToFile } from "./river/export.ts";
import { DEFAULT_VENV_DIR, ensureRiverVenv } from "./river/venv.ts";
import { loadAverage, median } from "./_measure.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    profile: { type: "string", default: "original" },
    events: { type: "string", default: "1000000" },
    features: {
      type: "string",
      default: [...new Set([DEFAULT_FEATURE_SET.name, "fields"])].join(),
    },
    lrs: { type: "string", default: "0.01,0.1,0.5" },
    rounds: { type: "string", default: "3" },
    seed: { type: "string", default: "42" },
    keep: { type: "string" },
    venv: { type: "string", default: DEFAULT_VENV_DIR },
    json: { type: "string" },
  },
  strict: true,
});

function positiveInteger(flag: string, text: string): number {
  const v = Number(text.replace(/_/g, ""));
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`--${flag} ${text}: expected a positive integer`);
  }
  return v;
}
if (!(PROFILES as readonly string[]).includes(values.profile)) {
  throw new RangeError(`--profile ${values.profile}: expected one of ${PROFILES.join(", ")}`);
}
const PROFILE = values.profile as Profile;
const EVENTS = positiveInteger("events", values.events);
const ROUNDS = positiveInteger("rounds", values.rounds);
const SEED = Number(values.seed);
if (!Number.isInteger(SEED)) throw new RangeError(`--seed ${values.seed}: expected an integer`);
const SETS = values.features.split(",").map((name) => featureSet(name.trim()));
const LRS = values.lrs.split(",").map(Number);
if (LRS.length === 0 || LRS.some((lr) => !(lr > 0 && Number.isFinite(lr)))) {
  throw new RangeError(`--lrs ${values.lrs}: expected positive learning rates, comma-separated`);
}
const OUR_LR = new AdaGrad(1).config.learningRate;
const SCRIPT = new URL("./river/prequential.py", import.meta.url).pathname;

const say = (line: string) => console.error(`bench: ${line}`);
const bestRun = (r: RiverResult) => r.runs.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));

/** One River run over one export (every learning rate of the grid). */
interface RiverResult {
  river: string;
  python: string;
  /** The pipeline, as prequential.py names it. */
  pipeline: string;
  events: number;
  positives: number;
  bayesLogLoss: number;
  constantLogLoss: number;
  parseSeconds: number;
  runs: { lr: number; logLoss: number; seconds: number; cpuSeconds: number }[];
}

async function runRiver(python: string, input: string, lrs: number[]): Promise<RiverResult> {
  const out = await new Deno.Command(python, {
    args: [SCRIPT, "--input", input, "--lrs", lrs.join(",")],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${python} ${SCRIPT} failed with exit code ${out.code}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** One row of the table: a side, a feature set and a learning rate, over the rounds. */
interface Row {
  side: "ours" | "River";
  features: string;
  lr: number;
  best: boolean;
  logLoss: number;
  shareOpen: number;
  /** Updates per second by wall clock, per round. */
  rates: number[];
  /** CPU seconds per million events, per round. */
  cpuPerMillion: number[];
}

say(`load average ${loadAverage()} before`);
const python = await ensureRiverVenv({ dir: values.venv, log: say });
const dir = values.keep ?? await Deno.makeTempDir({ prefix: "clickstream-bench-river-" });
await Deno.mkdir(dir, { recursive: true });
const rows: Row[] = [];
let bayes = NaN, constant = NaN, riverVersion = "", pythonVersion = "";
const pipelines = new Set<string>();
try {
  for (const set of SETS) {
    const file = `${dir}/${PROFILE}-${set.name}-${EVENTS}.jsonl`;
    const e0 = performance.now();
    const bytes = await exportToFile(
      { profile: PROFILE, featureSet: set, events: EVENTS, seed: SEED },
      file,
    );
    say(
      `exported ${EVENTS} ${PROFILE} events, features ${set.name}, to ${file} ` +
        `(${(bytes / 2 ** 20).toFixed(0)} MiB, ${((performance.now() - e0) / 1000).toFixed(1)} s)`,
    );
    const ours: QualityRow[] = [];
    const river: RiverResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const sides = round % 2 === 0 ? ["ours", "River"] : ["River", "ours"];
      for (const side of sides) {
        if (side === "ours") {
          ours.push(evaluateMode(DEFAULT_MODE, {
            events: EVENTS,
            seed: SEED,
            profile: PROFILE,
            featureSet: set,
          }));
          const q = ours.at(-1)!;
          say(
            `round ${round + 1} ${set.name} ours: log loss ${q.logLoss?.toFixed(5)}, ` +
              `${(q.learnerEventsPerSecond / 1e3).toFixed(0)}k/s, ` +
              `${q.learnerCpuSecondsPerMillion.toFixed(2)} CPU-s/M (load ${loadAverage()})`,
          );
        } else {
          // the whole grid in the first round; later rounds time its best rate again
          const lrs = river.length === 0 ? LRS : [bestRun(river[0]).lr];
          const r = await runRiver(python, file, lrs);
          river.push(r);
          say(
            `round ${round + 1} ${set.name} River: ` + r.runs.map((x) =>
              `lr ${x.lr} log loss ${x.logLoss.toFixed(5)} ${
                (r.events / x.seconds / 1e3).toFixed(1)
              }k/s`
            ).join(", ") + ` (parse ${r.parseSeconds.toFixed(1)} s, load ${loadAverage()})`,
          );
        }
      }
    }
    const q = ours[0], r = river[0];
    riverVersion = r.river;
    pythonVersion = r.python;
    pipelines.add(`${set.name}: ${r.pipeline}`);
    // The same events on both sides: the same count, purchases, Bayes and constant log loss.
    const same = r.events === EVENTS &&
      Math.abs(r.bayesLogLoss - q.bayesLogLoss!) < 1e-9 &&
      Math.abs(r.constantLogLoss - q.constantLogLoss!) < 1e-9;
    if (!same) {
      throw new Error(
        `River saw other events than ours: ${r.events} events (ours ${EVENTS}), Bayes log loss ` +
          `${r.bayesLogLoss} (ours ${q.bayesLogLoss}), constant ${r.constantLogLoss} (ours ` +
          `${q.constantLogLoss})`,
      );
    }
    bayes = q.bayesLogLoss!;
    constant = q.constantLogLoss!;
    const open = (ll: number) => (ll - bayes) / (constant - bayes);
    rows.push({
      side: "ours",
      features: set.name,
      lr: OUR_LR,
      best: false,
      logLoss: q.logLoss!,
      shareOpen: open(q.logLoss!),
      rates: ours.map((o) => o.learnerEventsPerSecond),
      cpuPerMillion: ours.map((o) => o.learnerCpuSecondsPerMillion),
    });
    const best = bestRun(r);
    for (const run of r.runs) {
      const again = river.map((x) => x.runs.find((y) => y.lr === run.lr)).filter((y) =>
        y !== undefined
      );
      rows.push({
        side: "River",
        features: set.name,
        lr: run.lr,
        best: run === best,
        logLoss: run.logLoss,
        shareOpen: open(run.logLoss),
        rates: again.map((y) => r.events / y.seconds),
        cpuPerMillion: again.map((y) => y.cpuSeconds / (r.events / 1e6)),
      });
      if (again.some((y) => y.logLoss !== run.logLoss)) {
        say(`warning: River lr ${run.lr}: the log loss differs between rounds`);
      }
    }
  }
} finally {
  if (values.keep === undefined) await Deno.remove(dir, { recursive: true });
}

const rate = (v: number) => v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${(v / 1e3).toFixed(1)}k`;
const head = [
  "side",
  "features",
  "lr",
  "log loss",
  "open",
  "updates/s",
  "CPU-s/M",
  "updates/s by round",
];
const body = rows.map((r) => [
  r.side === "River" && r.best ? "River*" : r.side,
  r.features,
  String(r.lr),
  r.logLoss.toFixed(5),
  `${(100 * r.shareOpen).toFixed(2)}%`,
  rate(median(r.rates)),
  median(r.cpuPerMillion).toFixed(2),
  r.rates.map(rate).join(", "),
]);
const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
const line = (cells: string[]) =>
  cells.map((c, j) => (j < 2 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
console.log(`\nprofile ${PROFILE}, ${EVENTS} events, seed ${SEED}, load average ${loadAverage()}`);
console.log([line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n"));
console.log(
  `\nBayes log loss ${bayes.toFixed(4)}, constant ${constant.toFixed(4)}; "open" = ` +
    `(LL − Bayes) / (constant − Bayes). ours: the trainer's learner with its defaults ` +
    `(${DEFAULT_MODE}, lr ${OUR_LR}, micro-batches of 10,000), timed over featurize + ` +
    `standardize + score + learn + metrics + drift. River ${riverVersion} (Python ` +
    `${pythonVersion}): ${[...pipelines].join("; ")}, lr grid ` +
    `${LRS.join(", ")} (* the best), timed over predict_proba_one + log loss + learn_one ` +
    `(features ready-made, JSON parsing not timed). updates/s: wall clock, median of ` +
    `${ROUNDS} rounds (River's grid in the first, its best rate again in the others); CPU-s/M: ` +
    `the process's CPU seconds per million events, median.`,
);
say(`load average ${loadAverage()} after`);
if (values.json !== undefined) {
  await Deno.writeTextFile(
    values.json,
    JSON.stringify(
      { profile: PROFILE, events: EVENTS, seed: SEED, bayes, constant, river: riverVersion, rows },
      null,
      2,
    ) + "\n",
  );
  say(`wrote ${values.json}`);
}
