/**
 * The whole learner step per micro-batch of 10 000 events (featurize → score → learn →
 * metrics), as the trainer runs it (events/s = iter/s × 10 000). Baseline: `JSON.parse` of the
 * same events' records, which the trainer does anyway before learning.
 *
 * @module
 */

import type { WireEvent } from "../../src/events/wire.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { Learner } from "../../src/learn/learner.ts";
import { featureSet } from "../../src/learn/feature_sets.ts";
import { type Mode, MODES } from "../../src/learn/model.ts";

const N = 10_000;
const LAPS = 20;
const gen = new SessionGenerator({ seed: 1 });
const warm: WireEvent[] = Array.from({ length: 200_000 }, () => gen.next());
const laps: WireEvent[][] = Array.from(
  { length: LAPS },
  () => Array.from({ length: N }, () => gen.next()),
);
const records: string[] = laps[0].map((e) => JSON.stringify(e));

Deno.bench({
  name: "JSON.parse of the records (10k events)",
  group: "learner step",
  baseline: true,
  fn() {
    let sink = 0;
    for (let i = 0; i < N; i++) sink += JSON.parse(records[i]).timestamp;
    if (sink < 0) throw new Error("unreachable");
  },
});

// Every mode on the default set (shop); adagrad on fields (shop without the hashed urls) and on
// session (the default before shop).
const runs: [Mode, string][] = [
  ...MODES.map((m): [Mode, string] => [m, "shop"]),
  ["adagrad", "fields"],
  ["adagrad", "session"],
];
for (const [mode, set] of runs) {
  const start = new Learner({ mode, featureSet: featureSet(set) });
  start.learn(warm);
  const state = start.toJSON();
  const restore = { featureSet: start.featureSet };
  let learner = start;
  let lap = 0;
  Deno.bench({
    name: `Learner.learn, ${mode}, ${set} (10k events)`,
    group: "learner step",
    fn(b) {
      const k = lap++ % LAPS;
      if (k === 0) learner = Learner.fromJSON(state, restore); // time must not run backwards
      b.start();
      learner.learn(laps[k]);
      b.end();
    },
  });
}
