/**
 * Decode + validate throughput against `TextDecoder` + `JSON.parse` alone (the baseline), on 10,000 records of
 * the original's shape per iteration: events/s = 10,000 / (time per iteration).
 */
import { tryDecodeEvent, tryDecodeEvents } from "../../src/events/schema.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const N = 10_000;
const records: Uint8Array[] = [];
for (let i = 0; i < N; i++) {
  const purchase = i % 3 === 0;
  records.push(enc.encode(JSON.stringify({
    user_id: 1 + (i * 7919) % 100_000,
    url: `/products?${"abcdef".slice(i % 6)}xyz`,
    action: purchase ? "purchase" : ["click", "view", "scroll"][i % 3],
    session_id: `s${(i * 31) % 5000}abcdef`,
    timestamp: 1764080412 + i,
    ...(purchase ? { amount: 5 + (i % 49500) / 100 } : {}),
  })));
}

Deno.bench(
  "TextDecoder + JSON.parse alone, 10k records",
  { group: "decode", baseline: true },
  () => {
    let n = 0;
    for (let i = 0; i < N; i++) n += JSON.parse(dec.decode(records[i])).user_id;
    if (n < 0) throw new Error("unreachable");
  },
);

Deno.bench("tryDecodeEvent (UTF-8 + JSON + validation), 10k records", { group: "decode" }, () => {
  let ok = 0;
  for (let i = 0; i < N; i++) if (tryDecodeEvent(records[i]).ok) ok++;
  if (ok !== N) throw new Error(`only ${ok} of ${N} records decoded`);
});

Deno.bench("tryDecodeEvents (one decode per batch), 10k records", { group: "decode" }, () => {
  let ok = 0;
  for (const r of tryDecodeEvents(records)) if (r.ok) ok++;
  if (ok !== N) throw new Error(`only ${ok} of ${N} records decoded`);
});
