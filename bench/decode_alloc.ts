/**
 * What decoding a million generator records allocates, per path: the byte decoder
 * (`DecodedBatch.decode`, plus a `ByteKeyIndex` session lookup in the `fast+index` mode) against
 * today's `tryDecodeEvents` (plus a `Map<string>` session lookup in `slow+map`). Each
 * measurement runs in its own process with `--expose-gc --trace-gc`: the records and their
 * batches are built first, the path is warmed up on the first tenth of them, the heap is
 * collected, then all the records are decoded in batches of `--batch`; reported are the GCs during decoding, the heap growth (`heapUsed` after minus
 * before, no collection in between), and the bytes allocated (what the GCs freed plus that
 * growth) per record. Modes run alternated `--runs` times; the table shows medians.
 *
 * ```sh
 * deno run -A bench/decode_alloc.ts [--records 1000000] [--batch 1000] [--runs 3]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DecodedBatch, ROW_INVALID } from "../src/events/byte_decoder.ts";
import { encodeEvent, tryDecodeEvents } from "../src/events/schema.ts";
import { SessionGenerator } from "../src/generator/session_generator.ts";
import { ByteKeyIndex } from "../src/learn/byte_key_index.ts";

const MODES = ["fast", "slow", "fast+index", "slow+map"] as const;
type Mode = typeof MODES[number];
const USAGE =
  "usage: deno run -A bench/decode_alloc.ts [--records 1000000] [--batch 1000] [--runs 3]";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    records: { type: "string", default: "1000000" },
    batch: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    child: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const records = Number(values.records), batchSize = Number(values.batch);
const runs = Number(values.runs);
for (const [name, v] of [["--records", records], ["--batch", batchSize], ["--runs", runs]]) {
  if (!Number.isInteger(v) || (v as number) < 1) {
    console.error(`error: ${name} must be a positive integer, got ${v}\n${USAGE}`);
    Deno.exit(2);
  }
}

/**
 * The child: builds the records, warms the path up, then decodes them all between two forced
 * collections, whose `testing` lines in V8's GC trace (on stdout) bound the measured window; its
 * own result goes to stderr, so that it cannot interleave with the trace.
 */
function child(mode: Mode): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("decode_alloc: run the child with --expose-gc");
  const gen = new SessionGenerator({ seed: 16 });
  const encoded = Array.from({ length: records }, () => encodeEvent(gen.next()));
  // One buffer and views into it, as a Kafka fetch hands out record values.
  const total = encoded.reduce((n, e) => n + e.byteLength, 0);
  const buffer = new Uint8Array(total);
  const batches: Uint8Array[][] = [];
  let offset = 0;
  for (let i = 0; i < records; i += batchSize) {
    const values: Uint8Array[] = [];
    for (let j = i; j < Math.min(records, i + batchSize); j++) {
      buffer.set(encoded[j], offset);
      values.push(buffer.subarray(offset, offset + encoded[j].byteLength));
      offset += encoded[j].byteLength;
    }
    batches.push(values);
  }
  encoded.length = 0;
  const batch = new DecodedBatch({ capacity: batchSize });
  const index = new ByteKeyIndex({ initialCapacity: 1 << 16, initialArenaBytes: 1 << 20 });
  const sessions = new Map<string, number>();
  /** One batch through the mode's path; returns a checksum so that nothing is optimized out. */
  const paths: Record<Mode, (values: Uint8Array[]) => number> = {
    fast(values) {
      batch.decode(values);
      const status = batch.status, userId = batch.userId;
      let sum = 0;
      for (let i = 0; i < values.length; i++) if (status[i] !== ROW_INVALID) sum += userId[i];
      return sum;
    },
    "fast+index"(values) {
      batch.decode(values);
      const status = batch.status;
      const start = batch.sessionStart, length = batch.sessionLength, hash = batch.sessionHash;
      let sum = 0;
      for (let i = 0; i < values.length; i++) {
        if (status[i] === ROW_INVALID) continue;
        const bytes = batch.bytes(i);
        let slot = index.lookup(bytes, start[i], length[i], hash[i]);
        if (slot < 0) slot = index.insert(bytes, start[i], length[i], hash[i]);
        sum += slot;
      }
      return sum;
    },
    slow(values) {
      let sum = 0;
      for (const r of tryDecodeEvents(values)) if (r.ok) sum += r.event.user_id;
      return sum;
    },
    "slow+map"(values) {
      let sum = 0;
      for (const r of tryDecodeEvents(values)) {
        if (!r.ok) continue;
        let slot = sessions.get(r.event.session_id);
        if (slot === undefined) sessions.set(r.event.session_id, slot = sessions.size);
        sum += slot;
      }
      return sum;
    },
  };
  const path = paths[mode];
  // Warm-up on the first tenth, so that compilation is not counted as the path's allocation.
  let check = 0;
  for (let b = 0; b < Math.ceil(batches.length / 10); b++) check += path(batches[b]);
  gc();
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  for (const values of batches) check += path(values);
  const ms = performance.now() - t0;
  const after = Deno.memoryUsage().heapUsed;
  gc();
  console.error(JSON.stringify({ mode, ms, growth: after - before, check, sessions: index.size }));
}

interface Measurement {
  mode: Mode;
  gcs: number;
  scavenges: number;
  growth: number;
  freed: number;
  ms: number;
}

/** A line of `--trace-gc`: its kind (`Scavenge`, `Mark-Compact`, ...), the heap before and after. */
const GC_LINE =
  / ms: ([A-Za-z -]+?) (?:\([a-z ]+\) )?([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/;

async function measure(mode: Mode): Promise<Measurement> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc,--trace-gc",
      new URL(import.meta.url).pathname,
      "--child",
      mode,
      "--records",
      String(records),
      "--batch",
      String(batchSize),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const trace = new TextDecoder().decode(out.stdout);
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`decode_alloc child ${mode} failed:\n${err}`);
  const lines = trace.split("\n").filter((l) => GC_LINE.test(l));
  const forced = lines.flatMap((l, i) => l.includes(" testing;") ? [i] : []);
  if (forced.length < 3) throw new Error(`decode_alloc child ${mode}: no forced GCs in\n${trace}`);
  let gcs = 0, scavenges = 0, freed = 0;
  for (const line of lines.slice(forced.at(-2)! + 1, forced.at(-1)!)) {
    const m = GC_LINE.exec(line)!;
    gcs++;
    if (m[1].includes("Scavenge") || m[1].includes("Minor")) scavenges++;
    freed += (Number(m[2]) - Number(m[4])) * 1024 * 1024;
  }
  const result = JSON.parse(err.split("\n").find((l) => l.startsWith("{"))!);
  return { mode, gcs, scavenges, growth: result.growth, freed, ms: result.ms };
}

if (values.child !== undefined) {
  if (!(MODES as readonly string[]).includes(values.child)) {
    console.error(`error: --child must be one of ${MODES.join(", ")}, got ${values.child}`);
    Deno.exit(2);
  }
  child(values.child as Mode);
} else {
  const results = new Map<Mode, Measurement[]>(MODES.map((m) => [m, []]));
  for (let r = 0; r < runs; r++) {
    for (const mode of MODES) {
      const m = await measure(mode);
      results.get(m.mode)!.push(m);
      console.error(
        `run ${r + 1} ${mode}: ${m.gcs} GCs (${m.scavenges} young), growth ${m.growth} B, ` +
          `freed ${Math.round(m.freed)} B, ${m.ms.toFixed(0)} ms`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${records} generator records, batches of ${batchSize}, median of ${runs} runs`);
  console.log("| path | GCs | heap growth | allocated / record | records/s |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [mode, ms] of results) {
    const growth = median(ms.map((m) => m.growth));
    const perRecord = median(ms.map((m) => (m.freed + m.growth) / records));
    const rate = median(ms.map((m) => records / (m.ms / 1000)));
    console.log(
      `| ${mode} | ${median(ms.map((m) => m.gcs))} | ${(growth / 1024).toFixed(0)} KiB | ` +
        `${perRecord.toFixed(1)} B | ${(rate / 1e6).toFixed(2)} M |`,
    );
  }
}
