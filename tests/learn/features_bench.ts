/**
 * Featurize throughput: each iteration turns one micro-batch of 10 000 generator events into
 * feature rows of one feature set and records them in the session state (events/s = iter/s ×
 * 10 000). Baseline: a
 * straightforward featurizer with a `Map` of session objects and a fresh `number[]` per row.
 *
 * @module
 */

import type { WireEvent } from "../../src/events/wire.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { FeatureBatch } from "../../src/learn/feature_batch.ts";
import { FEATURE_SETS } from "../../src/learn/feature_sets.ts";
import { Featurizer } from "../../src/learn/features.ts";

const N = 10_000;
const gen = new SessionGenerator({ seed: 1 });
for (let i = 0; i < 200_000; i++) gen.next();
// Twenty consecutive steady-state batches, replayed in turn; the session state starts afresh
// (from the same warmed-up state) at each replay so that time never runs backwards.
const LAPS = 20;
const warm: WireEvent[] = Array.from({ length: 200_000 }, () => gen.next());
const events: WireEvent[] = Array.from({ length: N * LAPS }, () => gen.next());

interface NaiveSession {
  start: number;
  last: number;
  count: number;
  window: number;
  windowCount: number;
  windowFirst: number;
}
const naive = new Map<string, NaiveSession>();
function naiveFeaturize(e: WireEvent): number[] {
  const t = e.timestamp;
  const s = naive.get(e.session_id);
  const w = Math.floor(t / 300);
  let k = 1, sinceStart = 0, sincePrev = 0, clicks = 1, onPage = 0;
  if (s) {
    k = s.count + 1;
    sinceStart = t - s.start;
    sincePrev = t - s.last;
    if (s.window === w) {
      clicks = s.windowCount + 1;
      onPage = t - s.windowFirst;
    }
    naive.delete(e.session_id);
    s.count++;
    s.last = t;
    if (s.window === w) s.windowCount++;
    else Object.assign(s, { window: w, windowCount: 1, windowFirst: t });
    naive.set(e.session_id, s);
  } else {
    naive.set(e.session_id, {
      start: t,
      last: t,
      count: 1,
      window: w,
      windowCount: 1,
      windowFirst: t,
    });
  }
  const lk = Math.log(k);
  return [
    lk,
    1 / k,
    lk * lk,
    k === 1 ? 1 : 0,
    Math.log1p(sinceStart),
    Math.log1p(sincePrev),
    Math.log1p(clicks),
    Math.log1p(onPage),
  ];
}

for (const e of warm) naiveFeaturize(e);
const naiveWarm = new Map([...naive].map(([k, v]) => [k, { ...v }]));
let lapA = 0;
Deno.bench({
  name: "naive Map + number[] rows (10k events)",
  group: "featurize",
  baseline: true,
  fn(b) {
    const lap = lapA++ % LAPS;
    if (lap === 0) {
      naive.clear();
      for (const [k, v] of naiveWarm) naive.set(k, { ...v });
    }
    b.start();
    let sink = 0;
    for (let i = lap * N; i < (lap + 1) * N; i++) sink += naiveFeaturize(events[i])[0];
    b.end();
    if (sink < 0) throw new Error("unreachable");
  },
});

for (const set of FEATURE_SETS) {
  const warmFeaturizer = new Featurizer({ featureSet: set });
  for (const e of warm) warmFeaturizer.observe(e);
  const warmState = warmFeaturizer.toJSON();
  let featurizer = warmFeaturizer;
  const batch = new FeatureBatch(set.width, { capacity: N, sparseWidth: set.urlBuckets ?? 0 });
  let lap = 0;
  Deno.bench({
    name: `Featurizer.push into a FeatureBatch, feature set ${set.name} (10k events)`,
    group: "featurize",
    fn(b) {
      const l = lap++ % LAPS;
      if (l === 0) featurizer = Featurizer.fromJSON(warmState, set);
      b.start();
      batch.clear();
      for (let i = l * N; i < (l + 1) * N; i++) featurizer.push(events[i], batch);
      b.end();
    },
  });
}
