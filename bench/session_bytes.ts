/**
 * Bytes per live session of each feature set's session store: the typed-array slot (the core
 * fields — first and last time, count — and the layout's: times and amounts 8 bytes each,
 * integers 4, rounded up to 8; `session_slot.ts`), plus the recency links,
 * and what the whole store costs per session as the process sees it — the heap and the memory
 * outside it (`Deno.memoryUsage()` `heapUsed + external`, after a full collection), and the
 * resident pages it touched (`rss`) — and the checkpoint's JSON per session. `--sessions`
 * sessions of 10-character ids, like the generator's.
 *
 * Each set is measured in a process of its own (this script runs itself with `--set` for each):
 * in one process, a set's measurement would count what the collector had not yet returned of
 * the set before it, and its allocator's free lists would lower the next one's `rss`.
 *
 * ```sh
 * deno run -A bench/session_bytes.ts [--sessions 100000] [--set NAME]
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

if (values.set === undefined) {
  console.log(`${n} live sessions per store (ids of 10 characters), one process per set`);
  console.log(
    "feature set  layout   fields (integers)  slot + links bytes  heap+external bytes/session  rss bytes/session  JSON bytes/session",
  );
  for (const set of FEATURE_SETS) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        "--sessions",
        String(n),
        "--set",
        set.name,
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`the measurement of ${set.name} failed`);
    Deno.stdout.writeSync(out.stdout);
  }
} else {
  const set = FEATURE_SETS.find((s) => s.name === values.set);
  if (set === undefined) throw new RangeError(`--set ${values.set}: no such feature set`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const usage = () => {
    gc();
    const m = Deno.memoryUsage();
    return { used: m.heapUsed + m.external, rss: m.rss };
  };
  // Event objects made ahead, outside the measurement: the store's own cost alone is counted.
  const ids = Array.from({ length: n }, (_, i) => `s${String(i).padStart(9, "0")}`);
  const before = usage();
  const store = new SessionStore({ maxSessions: n, layout: set.layout });
  for (let i = 0; i < n; i++) {
    store.record({
      session_id: ids[i],
      timestamp: 1_764_000_000 + (i % 1000),
      url: "/cart",
      action: i % 7 === 0 ? "purchase" : "view",
      amount: 12.5,
    });
  }
  const after = usage();
  // `ids` is read again below, so the collection in `after` cannot take it (and count it off).
  if (ids[n - 1] !== `s${String(n - 1).padStart(9, "0")}`) throw new Error("ids changed");
  if (store.size !== n) throw new Error(`${store.size} sessions live, expected ${n}`);
  const json = JSON.stringify(store.toJSON()).length / n;
  const slot = store.stride * 8 + 2 * 4;
  console.log(
    `${set.name.padEnd(11)}  ${set.layout.name.padEnd(7)}  ${
      `${store.shape.fields.length} (${store.shape.integer.filter((i) => i).length})`.padStart(17)
    }  ${String(slot).padStart(18)}  ${((after.used - before.used) / n).toFixed(0).padStart(27)}  ${
      ((after.rss - before.rss) / n).toFixed(0).padStart(17)
    }  ${json.toFixed(0).padStart(18)}`,
  );
}
