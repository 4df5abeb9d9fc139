/**
 * `deno run -A bench/pack_records.ts [--rounds 7]`: what packing a batch for the featurize worker
 * costs on the main thread, in CPU-seconds per million records (the records made as the consumer
 * makes them — a `ViewRecord` over a fetch's columns — and packed): `packRecords` (the values of a
 * fetch's consecutive records copied as one span of its bytes) against the per-record copy it
 * replaced (`copyValueTo`: a view and a copy per value), alternated, medians. The fetch is made
 * here: five runs of 4,000 records, each a 48-byte key and a `shop`-like value.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ViewRecord } from "../src/kafka/consumed_record.ts";
import { type PackedRecords, packRecords } from "../src/stream/featurize_worker_protocol.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" } } });
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new RangeError(`--rounds must be a whole number ≥ 1, got ${values.rounds}`);
}

const enc = new TextEncoder();

/** One fetched run of `n` records: key, value, key, value… in one buffer, with its columns. */
function fetchRun(n: number) {
  const parts: Uint8Array[] = [];
  const valueStart = new Int32Array(n), valueLength = new Int32Array(n);
  let at = 0;
  const key = enc.encode("k".repeat(48));
  for (let i = 0; i < n; i++) {
    parts.push(key);
    at += key.length;
    const value = enc.encode(
      `{"session_id":"s${i}","user_id":${i},"event_type":"click","url":"/p/${i}","amount":null,"ts":${
        1_700_000_000_000 + i
      }}`,
    );
    valueStart[i] = at;
    valueLength[i] = value.length;
    parts.push(value);
    at += value.length;
  }
  const bytes = new Uint8Array(at);
  for (let i = 0, o = 0; i < parts.length; o += parts[i].length, i++) bytes.set(parts[i], o);
  const columns = {
    bytes,
    offsets: Float64Array.from({ length: n }, (_, i) => i),
    timestamps: new Float64Array(n),
    keyStart: new Int32Array(n),
    keyLength: new Int32Array(n).fill(-1),
    valueStart,
    valueLength,
  };
  return { topic: "t", partition: 0, columns };
}

/** The per-record packing `packRecords` replaced: each value copied through a view of its own. */
function perRecord(records: readonly ViewRecord[], spare?: PackedRecords): PackedRecords {
  const n = records.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += records[i].valueLength;
  const fits = spare !== undefined && spare.lengths.length >= n && spare.values.length >= total;
  const lengths = fits ? spare.lengths : new Int32Array(n);
  const starts = fits ? spare.starts : new Int32Array(n);
  const partition = fits ? spare.partition : new Int32Array(n);
  const offset = fits ? spare.offset : new Float64Array(n);
  const values = fits ? spare.values : new Uint8Array(total);
  for (let i = 0, at = 0; i < n; i++) {
    const r = records[i];
    partition[i] = r.partition;
    offset[i] = r.offset;
    starts[i] = at;
    const length = r.copyValueTo(values, at);
    lengths[i] = length;
    if (length > 0) at += length;
  }
  return { n, values, starts, lengths, partition, offset };
}

const runs = Array.from({ length: 5 }, () => fetchRun(4000));
const batch = () =>
  runs.flatMap((run) => Array.from({ length: 4000 }, (_, i) => new ViewRecord(run, i)));
const variants = {
  "per record (copyValueTo)": (spare?: PackedRecords) => perRecord(batch(), spare),
  "spans (packRecords)": (spare?: PackedRecords) => packRecords(batch(), spare),
};
const seconds: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  const order = Object.entries(variants);
  if (round % 2 === 1) order.reverse();
  for (const [name, pack] of order) {
    let spare = pack();
    const start = process.cpuUsage();
    for (let k = 0; k < 100; k++) spare = pack(spare); // 100 batches of 20,000: 2M records
    const used = process.cpuUsage(start);
    (seconds[name] ??= []).push((used.user + used.system) / 1e6 / 2);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `${ROUNDS} alternated rounds of 2M records (batches of 20,000 over five 4,000-record fetches); load average ${
    Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
  }\n`,
);
console.log("| packing | CPU-s per M records, per round | median |");
console.log("| --- | --- | --- |");
for (const [name, xs] of Object.entries(seconds)) {
  console.log(`| ${name} | ${xs.map((x) => x.toFixed(3)).join(", ")} | ${median(xs).toFixed(3)} |`);
}
