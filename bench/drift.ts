/**
 * Drift detection and adaptation on the generator's stream, in-process (no Kafka): for each
 * seed, the Learner (adagrad, batches of 10k) learns `--before` events of the original signal,
 * then the generator drifts (`driftAt`) and `--after` more events follow. The pre-drift part is
 * learnt once per seed; the learner's state at the drift is then restored once per reaction
 * (`none`, `boost`, `reset`), so the three runs see the same events from the same state.
 *
 * Reported per seed and reaction: false alarms (detections before the drift), the largest test
 * statistic before the drift (vs the threshold), the detection delay in events, later
 * detections, and the recovery time: events after the drift until the rolling log loss, over a
 * window of W events (100k — the served `rolling` window — and 20k), is back within 1% of the
 * rolling Bayes (best possible) log loss of the same events, after having left it.
 *
 * ```sh
 * deno task bench:drift [--seeds 1,2,3] [--before 1000000] [--after 300000] [--mode adagrad]
 *   [--threshold 250] [--delta 0.05] [--min-events 5000] [--boost-factor 0] [--json FILE]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SessionGenerator } from "../src/generator/session_generator.ts";
import type { WireEvent } from "../src/events/wire.ts";
import { Learner, type LearnerState } from "../src/learn/learner.ts";
import {
  DRIFT_DEFAULTS,
  DriftDetector,
  type DriftDetectorOptions,
  type OnDrift,
} from "../src/learn/drift.ts";
import { logLoss } from "../src/learn/logistic.ts";
import type { Mode } from "../src/learn/model.ts";

/** A rolling window of model and Bayes log loss (ring buffers), checked for recovery. */
class RecoveryWindow {
  #size: number;
  #model: Float64Array;
  #bayes: Float64Array;
  #n = 0;
  #sumModel = 0;
  #sumBayes = 0;
  #left = false;
  /** Events after the drift when the ratio came back within 1%, or null. */
  recoveredAfter: number | null = null;
  /** Largest ratio seen after the drift. */
  peak = 0;

  constructor(size: number) {
    this.#size = size;
    this.#model = new Float64Array(size);
    this.#bayes = new Float64Array(size);
  }

  clone(): RecoveryWindow {
    const c = new RecoveryWindow(this.#size);
    c.#model.set(this.#model);
    c.#bayes.set(this.#bayes);
    c.#n = this.#n;
    c.#sumModel = this.#sumModel;
    c.#sumBayes = this.#sumBayes;
    return c;
  }

  add(model: number, bayes: number, sinceDrift: number): void {
    const slot = this.#n % this.#size;
    if (this.#n >= this.#size) {
      this.#sumModel -= this.#model[slot];
      this.#sumBayes -= this.#bayes[slot];
    }
    this.#model[slot] = model;
    this.#bayes[slot] = bayes;
    this.#sumModel += model;
    this.#sumBayes += bayes;
    this.#n++;
    if (sinceDrift < 0 || this.recoveredAfter !== null || this.#n < this.#size) return;
    // Checked every 100 events (the sums drift by rounding only, negligible over 1.3M events).
    if (sinceDrift % 100 !== 0) return;
    const ratio = this.#sumModel / this.#sumBayes;
    if (ratio > this.peak) this.peak = ratio;
    if (ratio > 1.01) this.#left = true;
    else if (this.#left) this.recoveredAfter = sinceDrift;
  }
}

/** One run's figures. */
export interface DriftRun {
  seed: number;
  onDrift: OnDrift;
  falseAlarms: number;
  maxStatisticBeforeDrift: number;
  detectionDelay: number | null;
  laterDetections: number[];
  recovery100k: number | null;
  recovery20k: number | null;
  peakRatio20k: number;
}

/** Options of {@linkcode driftScenario}. */
export interface DriftScenarioOptions {
  /** Generator seed. Required. */
  seed: number;
  /** Events before the drift. Default `1000000`. */
  before?: number;
  /** Events after the drift. Default `300000`. */
  after?: number;
  /** Reactions to run from the state at the drift. Default `["none", "boost", "reset"]`. */
  reactions?: OnDrift[];
  /** Detector options. Default: the detector's defaults. */
  drift?: DriftDetectorOptions;
  /** Boost factor. Default `0`. */
  boostFactor?: number;
  /** Micro-batch size. Default `10000`. */
  batchSize?: number;
  /** Learning mode. Default `"adagrad"`. */
  mode?: Mode;
}

/**
 * Runs one seed: learns the events before the drift once, then each reaction from the same
 * state over the same events after it. Returns one row per reaction.
 */
export function driftScenario(options: DriftScenarioOptions): DriftRun[] {
  const seed = options.seed;
  const before = options.before ?? 1_000_000, after = options.after ?? 300_000;
  const reactions = options.reactions ?? ["none", "boost", "reset"];
  const drift = options.drift ?? {};
  const boostFactor = options.boostFactor ?? 0;
  const batchSize = options.batchSize ?? 10_000;
  const runs: DriftRun[] = [];
  const gen = new SessionGenerator({ seed, driftAt: before });
  const learner = new Learner({ mode: options.mode ?? "adagrad", drift, batchCapacity: batchSize });
  const w100 = new RecoveryWindow(100_000), w20 = new RecoveryWindow(20_000);
  // The same test without a threshold, to see how close the statistic came before the drift.
  const shadow = new DriftDetector({ ...drift, threshold: Number.MAX_VALUE });
  let maxStat = 0, falseAlarms = 0;
  const events: WireEvent[] = [];
  const truth = new Float64Array(batchSize);
  for (let done = 0; done < before;) {
    const n = Math.min(batchSize, before - done);
    events.length = 0;
    for (let i = 0; i < n; i++) {
      events.push(gen.next());
      truth[i] = gen.probability;
    }
    const batch = learner.learn(events, { truth: truth.subarray(0, n) });
    falseAlarms += learner.lastDrifts.length;
    for (let i = 0; i < n; i++) {
      const y = batch.labels[i];
      const m = logLoss(batch.scores[i], y), b = logLoss(batch.truth[i], y);
      shadow.update(m);
      if (done + i >= shadow.config.minEvents && shadow.statistic > maxStat) {
        maxStat = shadow.statistic;
      }
      w100.add(m, b, -1);
      w20.add(m, b, -1);
    }
    done += n;
  }
  const state: LearnerState = JSON.parse(JSON.stringify(learner.toJSON()));
  const post: WireEvent[] = [];
  const postTruth = new Float64Array(after);
  for (let i = 0; i < after; i++) {
    post.push(gen.next());
    postTruth[i] = gen.probability;
  }
  for (const onDrift of reactions) {
    const l = Learner.fromJSON({ ...state, onDrift, boostFactor }, { batchCapacity: batchSize });
    const r100 = w100.clone(), r20 = w20.clone();
    const detections: number[] = [];
    for (let done = 0; done < after;) {
      const n = Math.min(batchSize, after - done);
      const batch = l.learn(post.slice(done, done + n), {
        truth: postTruth.subarray(done, done + n),
      });
      for (const i of l.lastDrifts) detections.push(done + i);
      for (let i = 0; i < n; i++) {
        const y = batch.labels[i];
        const m = logLoss(batch.scores[i], y), b = logLoss(batch.truth[i], y);
        r100.add(m, b, done + i);
        r20.add(m, b, done + i);
      }
      done += n;
    }
    runs.push({
      seed,
      onDrift,
      falseAlarms,
      maxStatisticBeforeDrift: maxStat,
      detectionDelay: detections.length > 0 ? detections[0] + 1 : null,
      laterDetections: detections.slice(1).map((d) => d + 1),
      recovery100k: r100.recoveredAfter,
      recovery20k: r20.recoveredAfter,
      peakRatio20k: r20.peak,
    });
  }
  return runs;
}

/** Renders runs as an aligned text table. */
export function formatDriftTable(runs: DriftRun[]): string {
  const fmt = (v: number | null) => v === null ? "never" : String(v);
  const rows = runs.map((r) => [
    String(r.seed),
    r.onDrift,
    String(r.falseAlarms),
    r.maxStatisticBeforeDrift.toFixed(1),
    fmt(r.detectionDelay),
    r.laterDetections.length === 0 ? "-" : r.laterDetections.join(" "),
    fmt(r.recovery100k),
    fmt(r.recovery20k),
    r.peakRatio20k.toFixed(3),
  ]);
  const head = [
    "seed",
    "on-drift",
    "false alarms",
    "max stat before",
    "delay (events)",
    "later detections",
    "recovery (100k window)",
    "recovery (20k window)",
    "peak ratio (20k)",
  ];
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(widths[j])).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      seeds: { type: "string", default: "1,2,3" },
      before: { type: "string", default: "1000000" },
      after: { type: "string", default: "300000" },
      threshold: { type: "string", default: String(DRIFT_DEFAULTS.threshold) },
      delta: { type: "string", default: String(DRIFT_DEFAULTS.delta) },
      "min-events": { type: "string", default: String(DRIFT_DEFAULTS.minEvents) },
      "boost-factor": { type: "string", default: "0" },
      reactions: { type: "string", default: "none,boost,reset" },
      mode: { type: "string", default: "adagrad" },
      json: { type: "string" },
    },
  });
  const before = Number(values.before), after = Number(values.after);
  const drift = {
    threshold: Number(values.threshold),
    delta: Number(values.delta),
    minEvents: Number(values["min-events"]),
  };
  const boostFactor = Number(values["boost-factor"]);
  console.log(
    `drift bench: ${before} events before the drift, ${after} after, batches of 10000, ` +
      `Page-Hinkley delta ${drift.delta} threshold ${drift.threshold} minEvents ${drift.minEvents}, ` +
      `boost factor ${boostFactor}, mode ${values.mode}`,
  );
  const runs: DriftRun[] = [];
  for (const seed of values.seeds.split(",").map(Number)) {
    const t0 = performance.now();
    runs.push(...driftScenario({
      seed,
      before,
      after,
      drift,
      boostFactor,
      reactions: values.reactions.split(",") as OnDrift[],
      mode: values.mode as Mode,
    }));
    console.log(`seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(formatDriftTable(runs));
  if (values.json) Deno.writeTextFileSync(values.json, JSON.stringify(runs, null, 2) + "\n");
}

if (import.meta.main) main(Deno.args);
