/**
 * The whole learner step (featurize → score → learn → metrics) of `tests/learn/learner_bench.ts`,
 * as CPU-seconds per million events of one process, for A/B runs against another checkout in the
 * same run: the same workload (the generator's stream, seed 1: 200k events to warm the model,
 * then laps of 10k events, restarting from the warm state every 20 laps so that time never runs
 * backwards; the restore is not timed), `Learner.learn` per lap, timed by `process.cpuUsage`. Prints one JSON line per
 * feature set with a hash of the final learner state, so that two checkouts' runs can be held
 * bitwise equal.
 *
 * `--src DIR` loads the code from another checkout's `src/` (alternate `--src
 * /work/main/src` and this tree's, medians of 3). For a CPU profile of the loop, run it under
 * `deno run --cpu-prof`.
 *
 * ```sh
 * deno run -A bench/learner_step.ts [--sets shop,fields,session] [--mode adagrad] [--events 2000000] [--src src]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sets: { type: "string", default: "shop,fields,session" },
    mode: { type: "string", default: "adagrad" },
    events: { type: "string", default: "2000000" },
    src: { type: "string", default: new URL("../src", import.meta.url).pathname },
  },
});
const EVENTS = Number(values.events), N = 10_000, LAPS = 20;
if (!Number.isInteger(EVENTS) || EVENTS < N) {
  throw new RangeError(`--events must be an integer ≥ ${N}, got ${values.events}`);
}
const src = pathToFileURL(resolve(values.src!)).href;
const { SessionGenerator } = await import(`${src}/generator/session_generator.ts`);
const { Learner } = await import(`${src}/learn/learner.ts`);
const { featureSet } = await import(`${src}/learn/feature_sets.ts`);

const gen = new SessionGenerator({ seed: 1 });
const warm = Array.from({ length: 200_000 }, () => gen.next());
const laps = Array.from({ length: LAPS }, () => Array.from({ length: N }, () => gen.next()));

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}

for (const name of values.sets!.split(",")) {
  const set = featureSet(name);
  const start = new Learner({ mode: values.mode, featureSet: set });
  start.learn(warm);
  const state = start.toJSON();
  let learner = start;
  // one untimed pass of the laps, for the JIT
  for (let k = 0; k < LAPS; k++) learner.learn(laps[k]);
  const passes = EVENTS / N;
  let cpuMicros = 0, wall = 0;
  for (let i = 0; i < passes; i++) {
    const k = i % LAPS;
    if (k === 0) learner = Learner.fromJSON(state, { featureSet: set }); // untimed
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    learner.learn(laps[k]);
    wall += (performance.now() - t0) / 1000;
    const used = process.cpuUsage(cpu0);
    cpuMicros += used.user + used.system;
  }
  const cpu = cpuMicros / 1e6;
  console.log(JSON.stringify({
    src: values.src,
    set: name,
    mode: values.mode,
    events: passes * N,
    cpuSeconds: +cpu.toFixed(3),
    wallSeconds: +wall.toFixed(3),
    cpuSecondsPerMillion: +(cpu / (passes * N / 1e6)).toFixed(4),
    stateHash: hash(JSON.stringify(learner.toJSON())),
    load: Deno.loadavg(),
  }));
}
