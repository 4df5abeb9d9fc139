/**
 * `deno task bench:scale`: what scaling out buys (issue 15, docs/design.md "Scaling out"), on a
 * broker of its own (`dev/kafka/broker.ts`) and one 6-partition input topic pre-filled with
 * `--events` (2M) generator events (`loadtest`). Each run is whole processes, start-up included:
 *
 * - **featurize ×k** (k = 1, 2, 3): k `featurize` processes of one fresh group, spawned together,
 *   from the first spawn until the group's committed offsets reach the input's end offsets on
 *   every partition (a commit follows the acknowledgement of the rows below it, so the feature
 *   log then holds every row); the feature log, dead letters and session snapshots of the run
 *   before are deleted first, so each run writes a log of its own from offset 0;
 * - **learn**: one `learn` replica (a fresh state directory) on the feature log that the
 *   1-featurizer run of the same round left (exactly one row per event), from its spawn until
 *   `/weights` shows every input partition's next offset at its end offset. Its steady rate is
 *   also given: from the first poll that saw rows trained to the end (start-up left out).
 *
 * CPU is user + system time from `/proc/<pid>/stat` (every thread, and children waited for) of
 * each measured process, read at the end of its run; the broker's CPU over the same interval is
 * given beside it. The runs alternate (featurize ×1, learn, ×2, ×3) for `--runs` (3) rounds;
 * medians of the rounds. Then the restore time of a partition with 100k live sessions
 * (`bench/session_restore.ts`, the same code). The machine is shared: the load average is printed
 * with the table, and CPU-s/M is the steadier figure.
 *
 * ```sh
 * deno task bench:scale [--events 2000000] [--runs 3] [--featurizers 1,2,3] [--learn-batches 20000,100000]
 * deno task bench:scale --learn-checkouts /work/base,.,.+--v8-flags=--single-threaded-gc [--runs 3]
 * deno task bench:scale --learn-checkouts /work/base,. --runs 1 --learn-heap-profile /tmp/heap
 * ```
 *
 * `--learn-checkouts` is an A/B of `learn` alone: the feature log is featurized once (by this
 * checkout's `featurize ×1`, in the first round), then each round runs `learn` of every checkout
 * listed (its `src/main.ts`; `DIR+FLAG+…` adds each `FLAG` to its `deno run`, `DIR+NAME=VALUE`
 * sets an environment variable of its process), in an order that alternates
 * from round to round, on that same log; `--featurizers` is then ignored (and the restore is not
 * measured). Each learn run's steady CPU is also printed (stderr) split into its main thread
 * (`/proc/<pid>/task/<pid>/stat`) and the other threads (V8's collector and compiler), the share
 * of the steady wall time the main thread was busy, with
 * its stop line on the input (batches by close reason, time spent waiting for records mid-batch),
 * when the checkout prints one, and with `DIR+--v8-flags=--trace-gc` the run's collections
 * (scavenges, mark-compacts, how many for external memory pressure). With
 * `--learn-heap-profile DIR`, each learn run's steady part is also heap-sampled over its inspector
 * (`bench/_heap_sampling.ts`, the collected objects included): `DIR/learn-<round>-<n>.heapprofile`
 * (Chrome DevTools loads it), and its top allocating functions printed (stderr).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort, startBroker } from "../dev/kafka/broker.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { KafkaClient } from "../src/kafka/client.ts";
import { measureRestore } from "./session_restore.ts";
import { loadAverage, median, processCpu, sleep } from "./_measure.ts";
import { HeapSampling, topAllocators } from "./_heap_sampling.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "2000000" },
    runs: { type: "string", default: "3" },
    featurizers: { type: "string", default: "1,2,3" },
    partitions: { type: "string", default: "6" },
    "learn-batches": { type: "string" },
    "learn-checkouts": { type: "string" },
    "learn-heap-profile": { type: "string" },
  },
});
const EVENTS = Number(values.events);
if (!Number.isInteger(EVENTS) || EVENTS < 1) {
  throw new RangeError(`--events must be a whole number ≥ 1, got ${values.events}`);
}
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new RangeError(`--runs must be a whole number ≥ 1, got ${values.runs}`);
}
const PARTITIONS = Number(values.partitions);
if (!Number.isInteger(PARTITIONS) || PARTITIONS < 1) {
  throw new RangeError(`--partitions must be a whole number ≥ 1, got ${values.partitions}`);
}
/** `learn --max-batch-events` values to alternate (none: learn's default only). */
const LEARN_BATCHES: (number | undefined)[] = values["learn-batches"] === undefined
  ? [undefined]
  : values["learn-batches"].split(",").map(Number);
if (LEARN_BATCHES.some((b) => b !== undefined && (!Number.isInteger(b) || b < 1))) {
  throw new RangeError(`--learn-batches must be whole numbers ≥ 1, got ${values["learn-batches"]}`);
}
const COUNTS = values.featurizers!.split(",").map(Number);
if (!COUNTS.includes(1) || COUNTS.some((k) => !Number.isInteger(k) || k < 1 || k > PARTITIONS)) {
  throw new RangeError(
    `--featurizers must be counts from 1 to ${PARTITIONS}, 1 among them, got ${values.featurizers}`,
  );
}

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
/** One `learn` of `--learn-checkouts`: its checkout's `main.ts`, extra `deno run` flags and env. */
interface Variant {
  label: string;
  main: string;
  denoFlags: string[];
  env: Record<string, string>;
}
/** `--learn-checkouts`: the `learn` variants of an A/B on one log (none: this checkout's only). */
const VARIANTS: Variant[] | undefined = values["learn-checkouts"]?.split(",").map((entry) => {
  const [dir, ...extra] = entry.split("+");
  // `NAME=VALUE` sets an environment variable of the run; anything else is a `deno run` flag.
  const isEnv = (s: string) => /^[A-Z_][A-Z0-9_]*=/.test(s);
  const env = Object.fromEntries(
    extra.filter(isEnv).map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)]),
  );
  const denoFlags = extra.filter((s) => !isEnv(s));
  return { label: entry, main: `${Deno.realPathSync(dir)}/src/main.ts`, denoFlags, env };
});
const RUN_TIMEOUT_MS = 600_000;
/** `--learn-heap-profile`: where each learn run's steady heap profile goes (none: not sampled). */
const HEAP_DIR = values["learn-heap-profile"];
if (HEAP_DIR !== undefined) await Deno.mkdir(HEAP_DIR, { recursive: true });
let heapProfiles = 0;

console.error(`bench: load average ${loadAverage()} before`);
await using broker = await startBroker({ onProgress: (line) => console.error(`bench: ${line}`) });
const brokers = broker.brokers;
const brokerCpu = () => broker.pid === undefined ? NaN : processCpu(broker.pid, true);
const client = new KafkaClient({ brokers, clientId: "clickstream-bench-scale" });
await using admin = await KafkaAdmin.connect(client);
const work = await Deno.makeTempDir({ prefix: "clickstream-bench-scale-" });
const topic = `bench-scale-${crypto.randomUUID().slice(0, 8)}`;
const DERIVED = [`${topic}.features`, `${topic}.sessions`, `${topic}.dlq`];
await admin.ensureTopic(topic, { partitions: PARTITIONS });
const fill = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", MAIN, "loadtest", "--brokers", brokers, "--topic", topic, "--events"]
    .concat([String(EVENTS), "--workers", "2"]),
  stdout: "null",
}).output();
if (!fill.success) throw new Error("pre-filling the topic failed");
const ends = new Map((await admin.topicOffsets(topic)).map((o) => [o.partition, o.high]));
const filled = [...ends.values()].reduce((a, b) => a + b, 0);
if (filled !== EVENTS) throw new Error(`the topic holds ${filled} records, not ${EVENTS}`);
console.error(
  `bench: ${EVENTS} events in ${topic}: ${[...ends].map(([p, n]) => `${p}:${n}`).join(" ")}`,
);

/** One measured run. */
interface Run {
  stage: string;
  seconds: number;
  cpuSeconds: number;
  brokerCpuSeconds: number;
  /** The steady part (learn only): seconds and CPU from the first rows trained to the end. */
  steady?: { seconds: number; cpuSeconds: number; rows: number };
}

/** Deletes the feature log, dead letters and snapshots of the run before; waits until gone. */
async function dropDerived(): Promise<void> {
  await admin.deleteTopics(DERIVED);
  const deadline = performance.now() + 60_000;
  while ((await admin.listTopics()).some((t) => DERIVED.includes(t))) {
    if (performance.now() > deadline) throw new Error(`${DERIVED.join(", ")} not deleted in 60 s`);
    await sleep(200);
  }
}

/** Stops a child (SIGINT, then SIGKILL after 15 s); returns its stderr when it failed. */
async function stop(child: Deno.ChildProcess, stderr: Promise<string>): Promise<string | null> {
  try {
    child.kill("SIGINT");
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, 15_000);
  const status = await child.status;
  clearTimeout(timer);
  return status.success ? null : await stderr;
}

async function featurize(k: number): Promise<Run> {
  await dropDerived();
  const group = `bench-featurize-${crypto.randomUUID().slice(0, 8)}`;
  const b0 = brokerCpu();
  const t0 = performance.now();
  const children = Array.from({ length: k }, () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "featurize", topic, "--brokers", brokers, "--group", group]
        .concat(["--http", `127.0.0.1:${freePort()}`, "--partitions", String(PARTITIONS)]),
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return { child, stderr: new Response(child.stderr).text() };
  });
  let t1 = 0, cpu = 0, b1 = 0, done = 0;
  while (performance.now() < t0 + RUN_TIMEOUT_MS) {
    await sleep(100);
    const committed = await admin.groupOffsets(group, topic).catch(() => new Map());
    done = [...ends].filter(([p, end]) => (committed.get(p) ?? -1) >= end).length;
    if (done === ends.size) {
      t1 = performance.now();
      cpu = children.reduce((sum, c) => sum + processCpu(c.child.pid, true), 0);
      b1 = brokerCpu();
      break;
    }
  }
  const failures = await Promise.all(children.map((c) => stop(c.child, c.stderr)));
  if (t1 === 0) {
    throw new Error(
      `${k} featurizer(s) completed ${done} of ${ends.size} partitions:\n${failures.join("\n")}`,
    );
  }
  for (const f of failures) if (f !== null) console.error(`bench: a featurizer failed:\n${f}`);
  return {
    stage: `featurize ×${k}`,
    seconds: (t1 - t0) / 1000,
    cpuSeconds: cpu,
    brokerCpuSeconds: b1 - b0,
  };
}

/** CPU seconds of the main thread of `pid` (its task of the same id) so far. */
function mainThreadCpu(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function learn(
  i: number,
  batch?: number,
  variant?: Variant,
): Promise<Run> {
  const port = freePort();
  const stateDir = `${work}/learn-${i}-${batch ?? "default"}-${crypto.randomUUID().slice(0, 8)}`;
  const b0 = brokerCpu();
  const inspect = HEAP_DIR === undefined ? undefined : freePort();
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...inspect === undefined ? [] : [`--inspect=127.0.0.1:${inspect}`],
      ...variant?.denoFlags ?? [],
      variant?.main ?? MAIN,
      "learn",
      topic,
      "--brokers",
      brokers,
    ]
      .concat(["--state-dir", stateDir])
      .concat(["--http", `127.0.0.1:${port}`])
      .concat(batch === undefined ? [] : ["--max-batch-events", String(batch)]),
    env: variant?.env ?? {},
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = new Response(child.stdout).text();
  let first: { t: number; cpu: number; main: number; rows: number } | undefined;
  let sampling: HeapSampling | undefined;
  let t1 = 0, cpu = 0, main = 0, b1 = 0, trained = 0;
  while (performance.now() < t0 + RUN_TIMEOUT_MS) {
    await sleep(50);
    let sources: { partition: number; next_offset: number }[] = [];
    try {
      const res = await fetch(`http://127.0.0.1:${port}/weights`);
      if (res.ok) {
        const body = await res.json();
        trained = body.events_trained;
        sources = body.sources ?? [];
      } else await res.body?.cancel();
    } catch {
      continue; // not serving yet
    }
    if (first === undefined && trained > 0) {
      if (inspect !== undefined) sampling = await HeapSampling.start("127.0.0.1", inspect);
      first = {
        t: performance.now(),
        cpu: processCpu(child.pid, true),
        main: mainThreadCpu(child.pid),
        rows: trained,
      };
    }
    const next = new Map(sources.map((s) => [s.partition, s.next_offset]));
    if ([...ends].every(([p, end]) => (next.get(p) ?? 0) >= end)) {
      t1 = performance.now();
      cpu = processCpu(child.pid, true);
      main = mainThreadCpu(child.pid);
      b1 = brokerCpu();
      break;
    }
  }
  if (sampling !== undefined) {
    const profile = await sampling.stop();
    const file = `${HEAP_DIR}/learn-${i + 1}-${++heapProfiles}.heapprofile`;
    await Deno.writeTextFile(file, JSON.stringify(profile));
    const top = topAllocators(profile, 8).map(([f, b]) => `${f} ${(b / 1e6).toFixed(1)} MB`);
    const total = profile.samples.reduce((sum, x) => sum + x.size, 0);
    console.error(
      `bench: learn heap (steady, sampled) in ${file}: ${(total / 1e6).toFixed(0)} MB; ` +
        `${top.join("; ")} (lines of the transpiled JS)`,
    );
  }
  const failed = await stop(child, stderr);
  const lines = (await stdout).split("\n");
  const input = lines.find((line) => line.startsWith("input: "));
  if (input !== undefined) console.error(`bench: learn ${input}`);
  // With `DIR+--v8-flags=--trace-gc`: the collections of the whole run.
  const gcs = lines.filter((line) => / ms: (Scavenge|Mark-Compact|Incremental Mark)/.test(line));
  if (gcs.length > 0) {
    const count = (re: RegExp) => gcs.filter((line) => re.test(line)).length;
    console.error(
      `bench: learn gc: ${count(/Scavenge/)} scavenges, ${count(/Mark-Compact/)} mark-compacts; ` +
        `${count(/external memory pressure/)} for external memory pressure`,
    );
  }
  if (first !== undefined && t1 > 0) {
    const m = (EVENTS - first.rows) / 1e6;
    console.error(
      `bench: learn steady: main thread ${((main - first.main) / m).toFixed(3)} CPU-s/M, ` +
        `other threads ${((cpu - first.cpu - (main - first.main)) / m).toFixed(3)}, ` +
        `main thread busy ${((main - first.main) / ((t1 - first.t) / 1000) * 100).toFixed(0)}% ` +
        "of the steady wall time",
    );
  }
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  if (t1 === 0) throw new Error(`learn trained ${trained} of ${EVENTS} events:\n${failed}`);
  if (failed !== null) console.error(`bench: learn failed:\n${failed}`);
  return {
    stage: (batch === undefined ? "learn" : `learn --max-batch-events ${batch}`) +
      (variant === undefined ? "" : ` of ${variant.label}`),
    seconds: (t1 - t0) / 1000,
    cpuSeconds: cpu,
    brokerCpuSeconds: b1 - b0,
    steady: first === undefined || t1 - first.t < 1 ? undefined : {
      seconds: (t1 - first.t) / 1000,
      cpuSeconds: cpu - first.cpu,
      rows: EVENTS - first.rows,
    },
  };
}

const runs: Run[] = [];
const loads: string[] = [];
const perM = (cpu: number) => cpu / (EVENTS / 1e6);
for (let i = 0; i < RUNS; i++) {
  const order: (() => Promise<Run>)[] = VARIANTS === undefined || i === 0
    ? [() => featurize(1)]
    : [];
  const batches = i % 2 === 0 ? LEARN_BATCHES : [...LEARN_BATCHES].reverse();
  if (VARIANTS === undefined) {
    for (const b of batches) order.push(() => learn(i, b));
    for (const k of COUNTS) if (k !== 1) order.push(() => featurize(k));
  } else {
    for (const v of i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      for (const b of batches) order.push(() => learn(i, b, v));
    }
  }
  for (const step of order) {
    const r = await step();
    runs.push(r);
    loads.push(loadAverage());
    console.error(
      `bench: round ${i + 1}: ${r.stage} ${Math.round(EVENTS / r.seconds)} events/s, ${
        perM(r.cpuSeconds).toFixed(2)
      } CPU-s/M (broker ${perM(r.brokerCpuSeconds).toFixed(2)}); load ${loadAverage()}`,
    );
  }
}
await dropDerived();
await admin.deleteTopics([topic]);
await Deno.remove(work, { recursive: true }).catch(() => {});
const restore = VARIANTS === undefined ? await measureRestore(100_000, 5) : undefined;

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const rate = (r: Run) => EVENTS / r.seconds;
const one = median(runs.filter((r) => r.stage === "featurize ×1").map(rate));
console.log(
  `${int.format(EVENTS)} events on ${PARTITIONS} partitions, ${RUNS} alternated rounds, whole ` +
    `processes (start-up included), ${navigator.hardwareConcurrency} cores shared with the ` +
    `broker; load average after each run: ${loads.join(" | ")}`,
);
console.log("");
console.log(
  "| stage | events/s per run | median events/s | × one featurizer | CPU-s/M per run | median CPU-s/M | events per CPU-s | broker CPU-s/M |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
const stages = [...new Set(runs.map((r) => r.stage))];
for (const stage of stages) {
  const mine = runs.filter((r) => r.stage === stage);
  const m = median(mine.map(rate));
  const cpu = median(mine.map((r) => perM(r.cpuSeconds)));
  console.log(
    `| ${stage} | ${mine.map((r) => int.format(rate(r))).join(", ")} | ${int.format(m)} | ${
      (m / one).toFixed(2)
    } | ${mine.map((r) => perM(r.cpuSeconds).toFixed(2)).join(", ")} | ${cpu.toFixed(2)} | ${
      int.format(1e6 / cpu)
    } | ${median(mine.map((r) => perM(r.brokerCpuSeconds))).toFixed(2)} |`,
  );
}
for (const stage of stages.filter((x) => x.startsWith("learn"))) {
  const steady = runs.flatMap((r) => r.stage !== stage || r.steady === undefined ? [] : [r.steady]);
  if (steady.length === 0) continue;
  const s = (x: { seconds: number; rows: number }) => x.rows / x.seconds;
  const c = (x: { cpuSeconds: number; rows: number }) => x.cpuSeconds / (x.rows / 1e6);
  const m = median(steady.map(s));
  console.log(
    `| ${stage}, steady (first rows trained → end) | ${
      steady.map((x) => int.format(s(x))).join(", ")
    } | ${int.format(m)} | ${(m / one).toFixed(2)} | ${
      steady.map((x) => c(x).toFixed(2)).join(", ")
    } | ${median(steady.map(c)).toFixed(2)} | ${int.format(1e6 / median(steady.map(c)))} | |`,
  );
}
if (restore !== undefined) {
  console.log("");
  console.log(
    `restore of one partition with ${int.format(restore.sessions)} live sessions (${
      (restore.bytes / 1e6).toFixed(1)
    } MB in ${restore.chunks} chunks, median of ${restore.rounds}): assemble + verify + parse ${
      restore.assembleMs.toFixed(0)
    } ms, into the stage ${restore.restoreMs.toFixed(0)} ms, in all ${
      (restore.assembleMs + restore.restoreMs).toFixed(0)
    } ms (encode + SHA-256 on save ${
      restore.encodeMs.toFixed(0)
    } ms); load average ${loadAverage()}`,
  );
}
