/**
 * CPU-seconds per million events of the featurize stage alone (`FeaturizeStage.featurize`: the
 * byte decoder, the session store, the features, the row batch — what `train`'s featurize worker
 * and `featurize` run per event), over the generator's stream as Kafka would hand it out: one
 * partition, record values as views into one buffer, batches of `--batch`. The records are
 * built first; the stage is warmed up on the first `--warmup` of them (not timed), then the rest
 * are featurized (after a full collection of the set-up's garbage), each batch timed by
 * `process.cpuUsage` (the whole process's CPU: V8's collector and compiler threads too). For A/B runs against other checkouts:
 * each `--src` in turn, `--runs` times, each run a process of its own; prints one line per run
 * and the medians, with the load average, and a hash of every row written (its dense values'
 * bits, session id, label columns), so that checkouts' rows can be held bitwise equal. With
 * `--packed`, each batch is packed first as the trainer's main thread posts it to its featurize
 * worker (`packRecords`, not timed) and featurized as the worker does (`featurizePacked`; in a
 * checkout without it, `unpackRecords` then `featurize`, both timed).
 *
 * For a CPU profile of the stage, run one child under `deno run --cpu-prof`:
 *
 * ```sh
 * deno run -A bench/featurize_stage_cpu.ts [--src /work/base/src,src] [--runs 3] [--events 1000000]
 *                                          [--warmup 200000] [--batch 5000] [--set shop] [--packed]
 * deno run -A --v8-flags=--expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof bench/featurize_stage_cpu.ts --child
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
    events: { type: "string", default: "1000000" },
    warmup: { type: "string", default: "200000" },
    batch: { type: "string", default: "5000" },
    set: { type: "string", default: "shop" },
    seed: { type: "string", default: "16" },
    packed: { type: "boolean" },
    child: { type: "boolean" },
  },
  strict: true,
});
const N = Number(values.events), W = Number(values.warmup), B = Number(values.batch);
const SEED = Number(values.seed);
for (const [name, v] of [["events", N], ["batch", B], ["seed", SEED]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} ${v}: a positive integer`);
}
if (!Number.isInteger(W) || W < 0) throw new RangeError(`--warmup ${W}: an integer ≥ 0`);

if (values.child) {
  const src = pathToFileURL(resolve(values.src!)).href;
  const { SessionGenerator } = await import(`${src}/generator/session_generator.ts`);
  const { encodeEvent } = await import(`${src}/events/schema.ts`);
  const { featureSet } = await import(`${src}/learn/feature_sets.ts`);
  const { FeaturizeStage } = await import(`${src}/stream/featurize_stage.ts`);
  const { RowBatch } = await import(`${src}/stream/row_batch.ts`);
  const protocol = await import(`${src}/stream/featurize_worker_protocol.ts`);
  const set = featureSet(values.set);
  const gen = new SessionGenerator({ seed: SEED });
  const total = W + N;
  const encoded: Uint8Array[] = [];
  let bytes = 0;
  for (let i = 0; i < total; i++) {
    const e = encodeEvent(gen.next());
    encoded.push(e);
    bytes += e.byteLength;
  }
  const buffer = new Uint8Array(bytes);
  const batches: {
    topic: string;
    partition: number;
    offset: number;
    key: null;
    value: Uint8Array;
  }[][] = [];
  for (let i = 0, at = 0; i < total; i += B) {
    const batch = [];
    for (let j = i; j < Math.min(total, i + B); j++) {
      buffer.set(encoded[j], at);
      batch.push({
        topic: "clicks",
        partition: 0,
        offset: j,
        key: null,
        value: buffer.subarray(at, at + encoded[j].byteLength),
      });
      at += encoded[j].byteLength;
    }
    batches.push(batch);
  }
  encoded.length = 0;
  const stage = new FeaturizeStage({ featureSet: set });
  const rows = new RowBatch(stage.rows, { capacity: B });
  const warm = Math.ceil(W / B);
  let hash = 0, cpu = 0, timed = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let b = 0; b < batches.length; b++) {
    if (b === warm && gc !== undefined) gc(); // not the set-up's garbage in the timed part
    rows.clear();
    const packed = values.packed ? protocol.packRecords(batches[b]) : undefined;
    const t0 = b >= warm ? process.cpuUsage() : undefined;
    if (packed === undefined) stage.featurize(batches[b], rows);
    else if (stage.featurizePacked !== undefined) stage.featurizePacked(packed, rows);
    else stage.featurize(protocol.unpackRecords(packed), rows); // the worker before it
    if (t0 !== undefined) {
      const t = process.cpuUsage(t0);
      cpu += t.user + t.system;
      timed += batches[b].length;
    }
    hash = hashRows(hash, rows);
  }
  console.log(JSON.stringify({
    cpuPerMillion: cpu / 1e6 / (timed / 1e6),
    events: timed,
    sessions: stage.sessionCounts(),
    hash,
  }));
} else {
  const srcs = values.src!.split(","), runs = Number(values.runs);
  const results = new Map<string, number[]>(srcs.map((s) => [s, []]));
  console.log(
    `featurize stage CPU${
      values.packed ? " (packed, the worker's path)" : ""
    }, set ${values.set}: ${N} generator events (seed ${SEED}) after ${W} of warm-up, batches of ${B}`,
  );
  for (let r = 0; r < runs; r++) {
    for (const src of srcs) {
      const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
      const args = [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL(import.meta.url).pathname,
        "--child",
        ...["--src", src, "--events", String(N), "--warmup", String(W), "--batch", String(B)],
        ...["--set", values.set!, "--seed", String(SEED)],
        ...(values.packed ? ["--packed"] : []),
      ];
      const out = await new Deno.Command(Deno.execPath(), { args, stderr: "inherit" }).output();
      if (!out.success) throw new Error(`the run of ${src} failed`);
      const line = JSON.parse(new TextDecoder().decode(out.stdout).trim());
      results.get(src)!.push(line.cpuPerMillion);
      console.log(
        `${src}: ${line.cpuPerMillion.toFixed(3)} CPU-s/M, ${line.sessions.live} live, ` +
          `rows hash ${line.hash} (load ${load})`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(results.get(srcs[0])!);
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`\nload average at the end: ${load}`);
  console.log("| src | median CPU-s/M | ratio to the first |\n|---|---:|---:|");
  for (const [src, xs] of results) {
    console.log(`| ${src} | ${median(xs).toFixed(3)} | ×${(median(xs) / first).toFixed(3)} |`);
  }
}

/** Folds a batch's rows into `h`: dense values' bits, session ids and the other columns. */
function hashRows(
  h: number,
  rows: {
    length: number;
    denseWidth: number;
    dense: Float64Array;
    sessionId: string[];
    action: Uint8Array;
    eventTime: Float64Array;
    userId: Float64Array;
    amount: Float64Array;
  },
): number {
  const words = new Uint32Array(
    rows.dense.buffer,
    rows.dense.byteOffset,
    2 * rows.length * rows.denseWidth,
  );
  for (let k = 0; k < words.length; k++) h = Math.imul(h ^ words[k], 0x01000193);
  for (let i = 0; i < rows.length; i++) {
    const id = rows.sessionId[i];
    for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193);
    h = Math.imul(h ^ rows.action[i], 0x01000193);
    h = Math.imul(h ^ rows.eventTime[i], 0x01000193);
    h = Math.imul(h ^ rows.userId[i], 0x01000193);
    h = Math.imul(h ^ (rows.amount[i] * 100), 0x01000193);
  }
  return h >>> 0;
}
