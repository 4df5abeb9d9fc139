/**
 * Funnel generator throughput beside the original's: each iteration produces 10 000 events
 * (events/s = iter/s × 10 000). Baseline: `SessionGenerator.next()` (the original profile). A
 * second group adds `JSON.stringify`, which is what the load generator does with each event.
 *
 * @module
 */

import { FunnelGenerator } from "../../src/generator/funnel_generator.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";

const N = 10_000;
const original = new SessionGenerator({ seed: 1 });
const funnel = new FunnelGenerator({ seed: 1 });

for (const json of [false, true]) {
  const group = json ? "generate + JSON.stringify" : "generate";
  const suffix = json ? " + JSON.stringify (10k events)" : " (10k events)";
  Deno.bench({
    name: `SessionGenerator.next()${suffix}`,
    group,
    baseline: true,
    fn() {
      let sink = 0;
      for (let i = 0; i < N; i++) {
        const e = original.next();
        sink += json ? JSON.stringify(e).length : e.user_id;
      }
      if (sink < 0) throw new Error("unreachable");
    },
  });
  Deno.bench({
    name: `FunnelGenerator.next()${suffix}`,
    group,
    fn() {
      let sink = 0;
      for (let i = 0; i < N; i++) {
        const e = funnel.next();
        sink += json ? JSON.stringify(e).length : e.user_id;
      }
      if (sink < 0) throw new Error("unreachable");
    },
  });
}
