/**
 * Bytes per live session of each feature set's session store: the typed-array slot (the core
 * fields — first and last time, count — and the layout's, 8 bytes each, plus the recency links),
 * what the whole store costs on the heap per session (slots, the id strings, the `Map`), and the
 * checkpoint's JSON per session. `--sessions` sessions of 10-character ids, like the generator's.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/session_bytes.ts [--sessions 100000] [--set NAME]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FEATURE_SETS } from "../src/learn/feature_sets.ts";
import { SessionStore } from "../src/learn/session_store.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { sessions: { type: "string", default: "100000" }, set: { type: "string" } },
  strict: true,
});
const n = Number(values.sessions);
if (!Number.isInteger(n) || n < 1) throw new RangeError(`--sessions ${values.sessions}`);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

const used = () => {
  gc();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
};

const only = values.set ?? null;
console.log(`${n} live sessions per store (ids of 10 characters, made inside the measurement)`);
console.log("feature set  layout   fields  slot bytes  heap bytes/session  JSON bytes/session");
for (const set of FEATURE_SETS) {
  if (only !== null && set.name !== only) continue;
  const before = used();
  const store = new SessionStore({ maxSessions: n, layout: set.layout });
  for (let i = 0; i < n; i++) {
    store.record({
      session_id: `s${String(i).padStart(9, "0")}`,
      timestamp: 1_764_000_000 + (i % 1000),
      url: "/cart",
      action: i % 7 === 0 ? "purchase" : "view",
      amount: 12.5,
    });
  }
  const heap = (used() - before) / n;
  const json = JSON.stringify(store.toJSON()).length / n;
  const slot = store.stride * 8 + 2 * 4;
  console.log(
    `${set.name.padEnd(11)}  ${set.layout.name.padEnd(7)}  ${String(store.stride).padStart(6)}  ${
      String(slot).padStart(10)
    }  ${heap.toFixed(0).padStart(18)}  ${json.toFixed(0).padStart(18)}`,
  );
  if (store.size !== n) throw new Error(`${store.size} sessions live, expected ${n}`);
}
