/**
 * The golden run of the in-process learner on the default `shop` feature set (32 dense features,
 * 21 of them unstandardized, step scales, a hashed url bucket per row), which the trainer's golden
 * cases (`tests/stream/_golden.ts`: `position`, `session`, `fields`) do not cover: seeded streams
 * of both generator profiles, with odd urls and timestamps mixed in, through `Learner.learn` in
 * several batchings, modes and options, reduced to SHA-256 digests of the exact bits of what it
 * produced — every batch's rows (dense and sparse), labels, pre-learning scores, drifts and
 * metrics (the batch's own and the running ones), and the
 * learner's whole state (session store, model, metrics, drift detector) at the end. The fixture
 * was recorded from the code before the `shop` step was made cheaper (main at 9b29d70, with only
 * `pageClassOf`'s fix for segments such as `constructor` applied to it), so the
 * test holds today's code bitwise to it.
 *
 * `deno run -A tests/learn/_shop_golden.ts --write [--src DIR]` records the fixture again from
 * the code in `DIR` (default this tree's `src/`; only ever on code whose output is known to be
 * right).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { WireEvent } from "../../src/events/wire.ts";

/** The fixture file. */
export const SHOP_GOLDEN_FILE = new URL("./_shop_golden.json", import.meta.url);

/** One golden case. */
export interface ShopGoldenCase {
  name: string;
  mode: "adagrad" | "ftrl" | "seed";
  /** Generator profile. */
  profile: "original" | "funnel";
  /** Batch sizes, repeated until the input is used up. */
  sizes: number[];
  events: number;
  /** Replace some urls and timestamps by odd ones (see {@linkcode oddEvents}). */
  odd?: boolean;
  driftAt?: number;
  onDrift?: "none" | "boost" | "reset";
  classWeight?: number;
  /** AdaGrad's L2 and epsilon. */
  adagrad?: { l2?: number; epsilon?: number };
  /** The feature set. Default `"shop"`. */
  features?: string;
}

/** The cases. */
export const SHOP_GOLDEN_CASES: ShopGoldenCase[] = [
  {
    name: "adagrad, original",
    mode: "adagrad",
    profile: "original",
    sizes: [10_000],
    events: 60_000,
  },
  {
    name: "adagrad, funnel, mixed batches, odd events",
    mode: "adagrad",
    profile: "funnel",
    sizes: [1, 997, 3000],
    events: 60_000,
    odd: true,
  },
  {
    name: "adagrad, funnel, drift with reset",
    mode: "adagrad",
    profile: "funnel",
    sizes: [5000],
    events: 60_000,
    driftAt: 20_000,
    onDrift: "reset",
  },
  {
    name: "adagrad, funnel, drift with boost",
    mode: "adagrad",
    profile: "funnel",
    sizes: [5000],
    events: 40_000,
    driftAt: 15_000,
    onDrift: "boost",
  },
  {
    name: "adagrad, class weight 5",
    mode: "adagrad",
    profile: "funnel",
    sizes: [4000],
    events: 40_000,
    classWeight: 5,
    odd: true,
  },
  {
    name: "adagrad, l2",
    mode: "adagrad",
    profile: "funnel",
    sizes: [4000],
    events: 30_000,
    adagrad: { l2: 1e-4 },
  },
  {
    name: "adagrad, epsilon 0",
    mode: "adagrad",
    profile: "original",
    sizes: [4000],
    events: 30_000,
    adagrad: { epsilon: 0 },
  },
  {
    name: "ftrl, funnel",
    mode: "ftrl",
    profile: "funnel",
    sizes: [4000],
    events: 40_000,
    odd: true,
  },
  { name: "seed, funnel", mode: "seed", profile: "funnel", sizes: [4000], events: 30_000 },
  {
    name: "fields, adagrad, funnel, odd events",
    mode: "adagrad",
    profile: "funnel",
    sizes: [3000],
    events: 40_000,
    odd: true,
    features: "fields",
  },
];

/** Urls every page class and then some: unknown segments, inherited property names, non-ASCII. */
const ODD_URLS = [
  "/",
  "",
  "home",
  "/home",
  "/search?q=1",
  "/category/7#top",
  "/product",
  "/products/3",
  "/cart#",
  "/checkout?",
  "/about/",
  "/blog/x/y",
  "/other",
  "/constructor",
  "/toString",
  "/__proto__",
  "/hasOwnProperty?x",
  "/valueOf/1",
  "/Cart",
  "/café",
  "/\u{1f600}",
  "/\ud800",
  "//product",
  "product",
  "?product",
  "#product",
  "/pro",
  "/productss",
];

/**
 * `events` with every 7th event's url replaced by one of {@linkcode ODD_URLS} and every 11th
 * event's timestamp moved back by up to 4000 s (late events: negative gaps, expired sessions).
 */
export function oddEvents(events: WireEvent[]): WireEvent[] {
  return events.map((e, i) => {
    let out = e;
    if (i % 7 === 3) out = { ...out, url: ODD_URLS[(i / 7 | 0) % ODD_URLS.length] };
    if (i % 11 === 5) out = { ...out, timestamp: out.timestamp - ((i * 37) % 4000) };
    return out;
  });
}

async function sha256(chunks: Uint8Array[]): Promise<string> {
  let n = 0;
  for (const c of chunks) n += c.length;
  const all = new Uint8Array(n);
  n = 0;
  for (const c of chunks) {
    all.set(c, n);
    n += c.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(a: Float64Array | Uint32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** The digests of one case: `rows` (every batch's rows, labels, scores) and `state`. */
export interface ShopGoldenDigest {
  rows: string;
  state: string;
}

/** Runs every case on the code in `src` (a URL of a `src/` folder); digests by case name. */
export async function shopGoldenDigests(
  src: string,
): Promise<Record<string, ShopGoldenDigest>> {
  const { Learner } = await import(`${src}/learn/learner.ts`);
  const { featureSet } = await import(`${src}/learn/feature_sets.ts`);
  const { createGenerator } = await import(`${src}/generator/create_generator.ts`);
  const out: Record<string, ShopGoldenDigest> = {};
  for (const c of SHOP_GOLDEN_CASES) {
    const gen = createGenerator(c.profile, { seed: 11, driftAt: c.driftAt ?? Infinity });
    let events: WireEvent[] = Array.from({ length: c.events }, () => gen.next());
    if (c.odd) events = oddEvents(events);
    const learner = new Learner({
      mode: c.mode,
      featureSet: featureSet(c.features ?? "shop"),
      onDrift: c.onDrift,
      classWeight: c.classWeight,
      adagrad: c.adagrad,
    });
    const chunks: Uint8Array[] = [];
    for (let at = 0, b = 0; at < events.length; b++) {
      const n = c.sizes[b % c.sizes.length];
      const batch = learner.learn(events.slice(at, at + n));
      at += n;
      chunks.push(
        bytesOf(batch.rows.subarray(0, batch.length * batch.width)),
        bytesOf(batch.labels.subarray(0, batch.length)),
        bytesOf(batch.scores.subarray(0, batch.length)),
        bytesOf(batch.sparseEnd.subarray(0, batch.length)),
        bytesOf(batch.sparseIndex.subarray(0, batch.sparseLength)),
        bytesOf(batch.sparseValue.subarray(0, batch.sparseLength)),
        new TextEncoder().encode(
          JSON.stringify([learner.lastDrifts, learner.lastBatch, learner.snapshot()]),
        ),
      );
    }
    // The state as JSON, and its model's numbers as raw bits (JSON writes -0 as 0).
    const state = learner.toJSON();
    const numbers: Uint8Array[] = [new TextEncoder().encode(JSON.stringify(state))];
    for (const part of [state.model.standardizer, state.model.optimizer]) {
      for (const value of Object.values(part as unknown as Record<string, unknown>)) {
        if (Array.isArray(value)) numbers.push(bytesOf(Float64Array.from(value as number[])));
      }
    }
    out[c.name] = { rows: await sha256(chunks), state: await sha256(numbers) };
  }
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      write: { type: "boolean", default: false },
      src: { type: "string", default: new URL("../../src", import.meta.url).pathname },
    },
  });
  const digests = await shopGoldenDigests(pathToFileURL(resolve(values.src!)).href);
  const text = JSON.stringify(digests, null, 2) + "\n";
  if (values.write) await Deno.writeTextFile(SHOP_GOLDEN_FILE, text);
  console.log(text);
}
