/**
 * The pairwise equality table of every feature set (`tests/learn/_equality.ts`): for each pair of
 * features, the share of events on which they are equal (for two 0/1 indicators, equal and 1),
 * over the original generator's stream at the demo's rate (2,000 events/s, `demo --rate`'s
 * default) or another `--rate`, or over the funnel profile's (`--profile funnel`, its own
 * simulated clock). Twins — pairs equal on more than half of the events — split the model's
 * weights arbitrarily between them.
 *
 * ```sh
 * deno run -A bench/feature_twins.ts [--events 1000000] [--rate 2000] [--profile original|funnel] [--min 0.1]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { WireEvent } from "../src/events/wire.ts";
import { FunnelGenerator } from "../src/generator/funnel_generator.ts";
import { SessionGenerator } from "../src/generator/session_generator.ts";
import { FEATURE_SETS } from "../src/learn/feature_sets.ts";
import { equalityTable, formatEquality } from "../tests/learn/_equality.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "1000000" },
    rate: { type: "string", default: "2000" },
    profile: { type: "string", default: "original" },
    min: { type: "string", default: "0.1" },
  },
  strict: true,
});
const events = Number(values.events), rate = Number(values.rate), min = Number(values.min);
if (!Number.isInteger(events) || events < 1) {
  throw new RangeError(`--events ${values.events}: expected a positive integer`);
}
if (!(rate > 0)) throw new RangeError(`--rate ${values.rate}: expected a positive number`);
if (values.profile !== "original" && values.profile !== "funnel") {
  throw new RangeError(`--profile ${values.profile}: expected original or funnel`);
}

function* eventStream(): Generator<WireEvent> {
  const gen = values.profile === "funnel"
    ? new FunnelGenerator({ seed: 42 })
    : new SessionGenerator({ seed: 42, simulatedEventsPerSecond: rate });
  for (let i = 0; i < events; i++) yield gen.next();
}

console.log(
  values.profile === "funnel"
    ? `funnel profile, ${events} events, seed 42`
    : `original generator at ${rate} events/s, ${events} events, seed 42`,
);
for (const set of FEATURE_SETS) {
  const table = equalityTable(set, eventStream());
  const twins = table.pairs.filter((p) => p.share > 0.5).length;
  console.log(`\n${formatEquality(table, min)}\n  pairs equal on more than 50%: ${twins}`);
}
