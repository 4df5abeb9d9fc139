/**
 * CPU-seconds per million events of a session store alone, as the featurize stage drives it:
 * for each event, `lookupKey` by the id's bytes, the feature set's `write` from the slot, then
 * `recordKey` — over a pool of `--pool` ids (10 bytes each) with a cap of `--sessions`, so that
 * the store is full and a share of events are new sessions that evict the least recently seen
 * (1.3M ids over 1M: 37 % of 4M events). The index, the slots and the links are then far larger
 * than the caches, as in the 1M-session run of `bench/memory.ts`. For A/B runs against other
 * checkouts: each `--src` in turn, `--runs` times, each run a process of its own; prints one
 * line per run and the medians, with the load average, and a hash of the final recency order
 * (equal across checkouts: the same sessions kept in the same order).
 *
 * ```sh
 * deno run -A bench/session_store_cpu.ts [--src /work/base/src,src] [--runs 3] [--events 4000000]
 *                                        [--pool 1300000] [--sessions 1000000] [--set shop]
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
    src: { type: "string", default: new URL("../src", import.meta.url).pathname },
    runs: { type: "string", default: "3" },
    events: { type: "string", default: "4000000" },
    pool: { type: "string", default: "1300000" },
    sessions: { type: "string", default: "1000000" },
    set: { type: "string", default: "shop" },
    child: { type: "boolean" },
  },
  strict: true,
});
const N = Number(values.events), P = Number(values.pool), C = Number(values.sessions);
for (const [name, v] of [["events", N], ["pool", P], ["sessions", C]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} ${v}: a positive integer`);
}

if (values.child) {
  const src = pathToFileURL(resolve(values.src!)).href;
  const { SessionStore } = await import(`${src}/learn/session_store.ts`);
  const { featureSet } = await import(`${src}/learn/feature_sets.ts`);
  const { fnv1a32 } = await import(`${src}/util/fnv1a.ts`);
  const set = featureSet(values.set);
  const store = new SessionStore({ layout: set.layout, maxSessions: C, idleSeconds: 86_400 });
  const bytes = new Uint8Array(P * 10), hashes = new Int32Array(P), pick = new Int32Array(N);
  for (let i = 0; i < P; i++) {
    const id = String(i).padStart(10, "0");
    for (let k = 0; k < 10; k++) bytes[i * 10 + k] = id.charCodeAt(k);
    hashes[i] = fnv1a32(bytes, i * 10, 10);
  }
  for (let i = 0, seed = 3; i < N; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    pick[i] = (seed >>> 4) % P;
  }
  const events = ["click", "view", "scroll", "purchase"].map((action) => ({
    session_id: "",
    timestamp: 0,
    url: "/cart/x",
    action,
    amount: 3,
  }));
  const out = new Float64Array(set.width);
  // The write's arguments: (event, slots, o, out, at) before the int32 words, (…, words, o, …) after.
  const withWords = set.write.length === 6;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const p = pick[i], e = events[i & 3];
    e.timestamp = 1_700_000_000 + (i >> 6);
    const slot = store.lookupKey(bytes, p * 10, 10, hashes[p], e.timestamp);
    const o = slot < 0 ? -1 : slot * store.stride;
    if (withWords) set.write(e, store.slots, store.words, o, out, 0);
    else set.write(e, store.slots, o, out, 0);
    store.recordKey(bytes, p * 10, 10, hashes[p], e);
  }
  const t = process.cpuUsage(t0);
  let hash = 0;
  for (const s of store.recency()) hash = (Math.imul(hash, 31) + s) | 0;
  console.log(JSON.stringify({
    cpuPerMillion: (t.user + t.system) / 1e6 / (N / 1e6),
    size: store.size,
    evicted: store.evicted,
    hash,
  }));
} else {
  const srcs = values.src!.split(","), runs = Number(values.runs);
  const results = new Map<string, number[]>(srcs.map((s) => [s, []]));
  console.log(`session store CPU, set ${values.set}: ${N} events, pool ${P}, cap ${C}`);
  for (let r = 0; r < runs; r++) {
    for (const src of srcs) {
      const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
      const args = [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--child",
        ...["--src", src, "--events", String(N), "--pool", String(P)],
        ...["--sessions", String(C), "--set", values.set!],
      ];
      const out = await new Deno.Command(Deno.execPath(), { args, stderr: "inherit" }).output();
      if (!out.success) throw new Error(`the run of ${src} failed`);
      const line = JSON.parse(new TextDecoder().decode(out.stdout).trim());
      results.get(src)!.push(line.cpuPerMillion);
      console.log(
        `${src}: ${
          line.cpuPerMillion.toFixed(3)
        } CPU-s/M, ${line.size} live, ${line.evicted} evicted, order hash ${line.hash} (load ${load})`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(results.get(srcs[0])!);
  console.log("\n| src | median CPU-s/M | ratio to the first |\n|---|---:|---:|");
  for (const [src, xs] of results) {
    console.log(`| ${src} | ${median(xs).toFixed(3)} | ×${(median(xs) / first).toFixed(3)} |`);
  }
}
