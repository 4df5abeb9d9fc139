/**
 * The golden run of the trainer on one partition: a fixed seeded input (the generator's first
 * 50,000 events with bad records mixed in) through `Trainer` in several batchings, modes,
 * feature sets and restore paths, reduced to SHA-256 digests of the exact bits of what it
 * produced (weights, model and metrics state, predictions, dead letters, `/predict` answers).
 * The cases of the `position` set were recorded from the trainer before it was split into
 * stages (`_golden_trainer.json`; recorded again once, for the session store's growth fix), the
 * `session` and `fields` cases when feature sets came; the test asserts the trainer of today
 * reproduces them bit for bit.
 *
 * `deno run -A tests/stream/_golden.ts --write` records the fixture again (only ever on code
 * whose output is known to be right).
 *
 * @module
 */

import { encodeEvent } from "../../src/events/schema.ts";
import type { WireEvent } from "../../src/events/wire.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import type { OnDrift } from "../../src/learn/drift.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import type { Mode } from "../../src/learn/model.ts";
import { type BatchOutputs, type SourceRecord, Trainer } from "../../src/stream/trainer.ts";

/** The fixture file. */
export const GOLDEN_FILE = new URL("./_golden_trainer.json", import.meta.url);

const enc = new TextEncoder();
const TOPIC = "golden";
const EVENTS = 50_000;

/** Bad payloads, one of them every 997th record. */
const BAD: (Uint8Array | null)[] = [
  enc.encode("not json"),
  null,
  enc.encode('{"user_id":1,"url":"/a","action":"jump","session_id":"s","timestamp":1764080412}'),
  enc.encode(
    '{"user_id":1,"url":"/a","action":"purchase","session_id":"s","timestamp":1764080412}',
  ),
  enc.encode("[1,2]"),
];

/**
 * The golden input: `events` of the generator's events (seed 21, the exactly-once test's) with a
 * bad record every 997th unless `clean`.
 */
export function goldenRecords(
  options: { driftAt?: number; events?: number; clean?: boolean } = {},
): SourceRecord[] {
  const g = new SessionGenerator({ seed: 21, driftAt: options.driftAt ?? Infinity });
  const out: SourceRecord[] = [];
  let bad = 0;
  for (let offset = 0, events = 0; events < (options.events ?? EVENTS); offset++) {
    let value: Uint8Array | null;
    let key: Uint8Array | null = null;
    if (!options.clean && offset % 997 === 500) {
      value = BAD[bad++ % BAD.length];
    } else {
      const e = g.next();
      events++;
      key = enc.encode(e.session_id);
      value = encodeEvent(e);
    }
    out.push({ topic: TOPIC, partition: 0, offset, key, value, timestamp: 1_764_000_000_000 });
  }
  return out;
}

/** A session for `/predict`. */
const SESSION: WireEvent[] = [0, 4, 9, 30, 31].map((dt, i) => ({
  user_id: 7,
  url: `/p?${i}`,
  action: "view",
  session_id: "golden-session",
  timestamp: 1_764_000_000 + dt,
}));

/** One golden case. */
export interface GoldenCase {
  name: string;
  mode: Mode;
  /** The feature set, by name. Default `"position"` (the cases recorded before feature sets). */
  features?: string;
  /** Batch sizes, repeated until the input is used up. */
  sizes: number[];
  driftAt?: number;
  onDrift?: OnDrift;
  /** Checkpoint (a JSON round trip of the state) and restore after this many batches. */
  restoreAfter?: number;
  /** On restore, feed the input again from offset 0 (a redelivery the state must skip). */
  redeliver?: boolean;
  /** Events of input. Default `50000`. */
  events?: number;
  /** No bad records. Default `false`. */
  clean?: boolean;
}

/** The cases. */
export const GOLDEN_CASES: GoldenCase[] = [
  { name: "adagrad, one batch", mode: "adagrad", sizes: [60_000] },
  { name: "adagrad, mixed batches", mode: "adagrad", sizes: [1, 997, 3000] },
  { name: "adagrad, restored after 5 batches", mode: "adagrad", sizes: [4000], restoreAfter: 5 },
  {
    name: "adagrad, restored and redelivered",
    mode: "adagrad",
    sizes: [4000],
    restoreAfter: 7,
    redeliver: true,
  },
  {
    name: "adagrad, drift with reset",
    mode: "adagrad",
    sizes: [4000],
    driftAt: 20_000,
    onDrift: "reset",
  },
  {
    name: "adagrad, the exactly-once test's input",
    mode: "adagrad",
    sizes: [4000],
    events: 60_000,
    clean: true,
  },
  { name: "ftrl, 4000-batches", mode: "ftrl", sizes: [4000] },
  { name: "seed, 4000-batches", mode: "seed", sizes: [4000] },
  { name: "seed, mixed batches", mode: "seed", sizes: [1, 997, 3000] },
  { name: "seed, restored after 3 batches", mode: "seed", sizes: [4000], restoreAfter: 3 },
  // The default feature set, and the one of every field (recorded with feature sets).
  {
    name: "session, adagrad, mixed batches",
    mode: "adagrad",
    features: "session",
    sizes: [1, 997, 3000],
  },
  {
    name: "session, adagrad, restored and redelivered",
    mode: "adagrad",
    features: "session",
    sizes: [4000],
    restoreAfter: 7,
    redeliver: true,
  },
  {
    name: "fields, adagrad, mixed batches",
    mode: "adagrad",
    features: "fields",
    sizes: [1, 997, 3000],
  },
  {
    name: "fields, adagrad, restored and redelivered",
    mode: "adagrad",
    features: "fields",
    sizes: [4000],
    restoreAfter: 7,
    redeliver: true,
  },
  { name: "fields, seed, 4000-batches", mode: "seed", features: "fields", sizes: [4000] },
];

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The hex SHA-256 of a string's UTF-8 bytes, or of a `Float64Array`'s bytes. */
export async function digest(data: Float64Array | string): Promise<string> {
  const bytes = typeof data === "string" ? enc.encode(data) : new Uint8Array(data.buffer);
  return hex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

function chunks<T>(items: readonly T[], sizes: number[]): T[][] {
  const out: T[][] = [];
  for (let i = 0, k = 0; i < items.length; k++) {
    const size = sizes[k % sizes.length];
    out.push(items.slice(i, i + size));
    i += size;
  }
  return out;
}

/** The digest of a model's weights: standardized weights, intercept, raw weights, raw intercept. */
export function weightsDigest(
  weights: readonly number[],
  intercept: number,
  rawWeights: readonly number[],
  rawIntercept: number,
): Promise<string> {
  return digest(new Float64Array([...weights, intercept, ...rawWeights, rawIntercept]));
}

/** The model and metrics state inside a trainer state (where the checkpoint keeps them). */
function learnerParts(state: unknown): { model: unknown; metrics: unknown } {
  const learner = (state as { learner: { model: unknown; metrics: unknown } }).learner;
  return { model: learner.model, metrics: learner.metrics };
}

/** What one case produced, as digests and small exact values. */
export type GoldenResult = Record<string, string | number>;

/** Runs one case. */
export async function runGolden(c: GoldenCase): Promise<GoldenResult> {
  const input = goldenRecords(c);
  const scores: number[] = [];
  const sources: number[] = [];
  const dead: string[] = [];
  const sideOutputs = (o: BatchOutputs) => {
    for (const p of o.predictions) {
      scores.push(p.score, p.modelVersion);
      sources.push(p.partition, p.offset, p.userId);
    }
    for (const d of o.deadLetters) dead.push(`${d.record.offset}:${d.error.reason}`);
    return Promise.resolve();
  };
  const make = (restore?: ReturnType<Trainer["state"]>) =>
    new Trainer({
      topic: TOPIC,
      featureSet: featureSet(c.features ?? "position"),
      learner: { mode: c.mode, onDrift: c.onDrift },
      restore,
      sideOutputs,
      collectPredictions: true,
      clock: { now: () => 1_764_000_000_000 },
    });
  let trainer = make();
  const batches = chunks(input, c.sizes);
  for (let b = 0; b < batches.length; b++) {
    if (b === c.restoreAfter) {
      trainer = make(JSON.parse(JSON.stringify(trainer.state())));
      if (c.redeliver) {
        for (const again of chunks(input.slice(0, input.indexOf(batches[b][0])), c.sizes)) {
          await trainer.processBatch(again);
        }
      }
    }
    await trainer.processBatch(batches[b]);
  }
  const s = trainer.snapshot;
  const parts = learnerParts(trainer.state());
  const metricsView = [s.cumulative, s.rolling, s.lastBatch].flatMap((v) => [
    v.events,
    v.logLoss,
    v.constantLogLoss,
    v.auc,
    v.accuracy,
    v.majorityAccuracy,
    v.purchaseRate,
  ]);
  return {
    eventsTrained: s.eventsTrained,
    updates: s.updates,
    skippedRecords: s.skippedRecords,
    badRecords: JSON.stringify(Object.entries(s.badRecords).sort()),
    drifts: s.drifts.length,
    weights: await weightsDigest(s.weights, s.intercept, s.rawWeights, s.rawIntercept),
    model: await digest(JSON.stringify(parts.model)),
    metricsState: await digest(JSON.stringify(parts.metrics)),
    metricsView: await digest(new Float64Array(metricsView)),
    predictions: await digest(new Float64Array(scores)),
    predictionSources: await digest(new Float64Array(sources)),
    deadLetters: await digest(dead.join(",")),
    predict: await digest(new Float64Array(s.predict(SESSION))),
    topPurchasers: await digest(JSON.stringify(s.topPurchasers)),
  };
}

if (import.meta.main && Deno.args.includes("--write")) {
  const out: Record<string, GoldenResult> = {};
  for (const c of GOLDEN_CASES) out[c.name] = await runGolden(c);
  await Deno.writeTextFile(GOLDEN_FILE, JSON.stringify(out, null, 2) + "\n");
  console.log(`wrote ${GOLDEN_FILE.pathname}`);
}
