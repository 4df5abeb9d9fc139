/**
 * `deno task bench:consume`: the trainer against Kafka's own consumer benchmark,
 * `org.apache.kafka.tools.ConsumerPerformance` (from the pinned 4.1.2 jars), on one pre-filled
 * one-partition topic of `--events` (2M) generator events, on a broker of its own
 * (`dev/kafka/broker.ts`). Each run is a whole process, start-up included:
 *
 * - **train**: `deno run -A src/main.ts train` with a fresh group and state directory, from its
 *   spawn until `/weights` says `events_trained` = N (polled every 50 ms); its CPU is read from
 *   `/proc/<pid>/stat` at that moment (user + system of every thread), then it is stopped;
 * - **ConsumerPerformance** (`--messages N`, a fresh group), from its spawn to its exit; its CPU
 *   from `/usr/bin/time` (the JVM's start-up and JIT included);
 * - with `--before <dir>`, also **train (before)**: the `src/main.ts` of another checkout (e.g.
 *   `git archive` of the base commit), the same way (with `--configs`, each configuration);
 * - with `--configs "name=flags;name=flags"`, one **train** per configuration, each with its
 *   extra flags (e.g. `"one thread=--featurize-worker off;worker=--featurize-worker on"`),
 *   instead of the one plain `train`; a `--v8-flags=…` among them goes to `deno run` (e.g.
 *   `"task flags=--v8-flags=--max-semi-space-size=4,--max-old-space-size=256"`, the `train`
 *   task's), and so do `--cpu-prof` and `--cpu-prof-dir=…` (e.g.
 *   `"prof=--featurize-worker on --cpu-prof --cpu-prof-dir=/tmp/prof"`: a `.cpuprofile` of the
 *   main thread and one of the worker, start-up included).
 *
 * Each `train` run also reports its peak RSS (`VmHWM` of `/proc/<pid>/status` when all N are
 * trained) and the CPU of its main thread and of its busiest other thread (`/proc/<pid>/task/`:
 * the featurize worker's, when there is one; else one of V8's or the runtime's helpers).
 *
 * Each `train` run's line also gives its threads' busy fractions (each thread's CPU over the
 * run's seconds, start-up included), the CPU of the threads besides those two (V8's helpers: the
 * garbage collector's and the compiler's), and the trainer's own `pipeline: …` line
 * (`src/stream/trainer_stats.ts`: why the batches closed, the main thread's time waiting for
 * input, posting, waiting for the worker's rows and learning, and the worker's featurize time).
 *
 * The runs alternate (train, ConsumerPerformance[, before]) `--runs` (3) times; the table gives
 * each run's events/s and CPU-seconds per million events, and the medians with the ratio of the
 * trainer's median rate to ConsumerPerformance's. The machine is shared: the load average is
 * printed before and after, and CPU-s/M is the steadier figure.
 *
 * With `--gc`, every `train` runs with V8's `--trace-gc-nvp` too (added to its `--v8-flags`), and
 * a second table gives per million events the scavenges, the mark-compacts (full collections),
 * the milliseconds each kind paused the main thread and the MB promoted to the old generation.
 *
 * ```sh
 * deno task bench:consume [--events 2000000] [--runs 3] [--trigger 1s] [--before /tmp/base] [--features <set>] [--configs "a=…;b=…"] [--gc]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort, startBroker } from "../dev/kafka/broker.ts";
import { KAFKA_TOOLS, kafkaTool } from "../dev/kafka/tools.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { KafkaClient } from "../src/kafka/client.ts";
import { loadAverage, median, processCpu, sleep } from "./_measure.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "2000000" },
    runs: { type: "string", default: "3" },
    trigger: { type: "string", default: "1s" },
    before: { type: "string" },
    features: { type: "string" },
    configs: { type: "string" },
    gc: { type: "boolean", default: false },
  },
});
/** The `train` configurations: a name and extra flags each. */
const CONFIGS: { name: string; args: string[] }[] = values.configs === undefined
  ? [{ name: "train", args: [] }]
  : values.configs.split(";").map((c) => {
    const at = c.indexOf("=");
    if (at < 1) throw new RangeError(`--configs: "${c}" is not name=flags`);
    return { name: `train (${c.slice(0, at).trim()})`, args: c.slice(at + 1).trim().split(/\s+/) };
  });
const EVENTS = Number(values.events);
if (!Number.isInteger(EVENTS) || EVENTS < 1) throw new RangeError(`--events ${values.events}`);
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new RangeError(`--runs ${values.runs}`);

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const BEFORE = values.before === undefined ? undefined : `${values.before}/src/main.ts`;
if (BEFORE !== undefined) Deno.statSync(BEFORE); // fails early, naming the path

console.error(`bench: load average ${loadAverage()} before`);
await using broker = await startBroker({ onProgress: (line) => console.error(`bench: ${line}`) });
const brokers = broker.brokers;
const client = new KafkaClient({ brokers, clientId: "clickstream-bench" });
const work = await Deno.makeTempDir({ prefix: "clickstream-bench-consume-" });
const topic = `bench-consume-${crypto.randomUUID().slice(0, 8)}`;
{
  await using admin = await KafkaAdmin.connect(client);
  await admin.ensureTopic(topic, { partitions: 1 });
}
const fill = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", MAIN, "loadtest", "--brokers", brokers, "--topic", topic, "--events"]
    .concat([String(EVENTS), "--workers", "2"]),
  stdout: "null",
}).output();
if (!fill.success) throw new Error("pre-filling the topic failed");
console.error(`bench: ${EVENTS} events in ${topic}`);

interface Run {
  tool: string;
  seconds: number;
  cpuSeconds: number;
  /** Peak RSS, MB (10^6 bytes; `train` only). */
  peakMb?: number;
  /** CPU seconds of the main thread alone (`train` only; the rest: the worker, V8's, Tokio's). */
  mainCpuSeconds?: number;
  /** CPU seconds of the busiest other thread (`train` only: the worker's, when there is one). */
  otherCpuSeconds?: number;
  /** The trainer's `pipeline: …` line (`trainer_stats.ts`), when it printed one. */
  pipeline?: string;
  /** With `--gc`: what V8's garbage collector did in the run (`train` only). */
  gc?: GcTotals;
}

/** What V8's `--trace-gc-nvp` lines of a run add up to. */
interface GcTotals {
  /** Scavenges (young-generation collections). */
  scavenges: number;
  /** Their pause of the main thread, ms. */
  scavengeMs: number;
  /** Mark-compacts and mark-sweeps (full collections). */
  markCompacts: number;
  /** Their pause of the main thread (the atomic part; incremental steps are in the mutator's), ms. */
  markCompactMs: number;
  /** Bytes promoted from the young generation to the old. */
  promoted: number;
}

/** Sums the `GC: {…}` lines `--trace-gc-nvp` wrote to `stdout`. */
function gcTotals(stdout: string): GcTotals {
  const totals = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0, promoted: 0 };
  for (const line of stdout.split("\n")) {
    // Field by field: a line may be cut short where the process was stopped.
    const kind = /GC: \{"pause":([\d.e+-]+),"mutator":[^,]*,"gc":"(\w+)"/.exec(line);
    if (kind === null) continue;
    const pause = Number(kind[1]);
    if (kind[2] === "s") {
      totals.scavenges++;
      totals.scavengeMs += pause;
    } else if (kind[2] === "mc" || kind[2] === "ms") {
      totals.markCompacts++;
      totals.markCompactMs += pause;
    }
    totals.promoted += Number(/"promoted":(\d+)/.exec(line)?.[1] ?? 0);
  }
  return totals;
}

/** CPU seconds (user + system) of thread `tid` of `pid`, from `/proc/<pid>/task/<tid>/stat`. */
function threadCpu(pid: number, tid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/task/${tid}/stat`);
  // The thread's name (in parentheses) may hold spaces and parentheses: the fields follow the last.
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of `pid`'s busiest thread other than its main one (the featurize worker's). */
function busiestOtherThreadCpu(pid: number): number {
  let most = 0;
  for (const e of Deno.readDirSync(`/proc/${pid}/task`)) {
    const tid = Number(e.name);
    if (tid === pid) continue;
    try {
      most = Math.max(most, threadCpu(pid, tid));
    } catch {
      // the thread ended meanwhile
    }
  }
  return most;
}

/** `VmHWM` of `pid`, MB (10^6 bytes: the kernel's kB are KiB). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) * 1024 / 1e6 : NaN;
}

/**
 * A configuration's flag for `deno run` itself rather than for `train`: `--v8-flags=…`, and
 * `--cpu-prof` with its `--cpu-prof-dir=…` / `--cpu-prof-interval=…` (a profile of each isolate:
 * the main thread's and the featurize worker's).
 */
function isDenoFlag(flag: string): boolean {
  return flag.startsWith("--v8-flags=") || flag === "--cpu-prof" ||
    flag.startsWith("--cpu-prof-dir=") || flag.startsWith("--cpu-prof-interval=");
}

/** The `deno run` flags of a configuration, with `--trace-gc-nvp` in its `--v8-flags` under `--gc`. */
function denoFlags(extra: string[]): string[] {
  const flags = extra.filter(isDenoFlag);
  if (!values.gc) return flags;
  const last = flags.findLastIndex((flag) => flag.startsWith("--v8-flags="));
  if (last < 0) return [...flags, "--v8-flags=--trace-gc-nvp"];
  return flags.map((flag, i) => i === last ? `${flag},--trace-gc-nvp` : flag);
}

async function train(name: string, main: string, i: number, extra: string[] = []): Promise<Run> {
  const port = freePort();
  const stateDir = `${work}/state-${name.replace(/\W/g, "")}-${i}`;
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags(extra), main, "train", topic, "--brokers", brokers]
      .concat([
        "--group",
        `bench-${crypto.randomUUID().slice(0, 8)}`,
        "--http",
        `127.0.0.1:${port}`,
        "--state-dir",
        stateDir,
        "--trigger",
        values.trigger!,
        ...(values.features === undefined ? [] : ["--features", values.features]),
        ...extra.filter((flag) => !isDenoFlag(flag)),
      ]),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = new Response(child.stdout).text();
  const deadline = t0 + 600_000;
  let trained = 0, cpu = 0, t1 = 0, peakMb = NaN, mainCpu = NaN, otherCpu = NaN;
  while (performance.now() < deadline) {
    await sleep(50);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/weights`);
      if (res.ok) trained = (await res.json()).events_trained;
      else await res.body?.cancel();
    } catch {
      // not serving yet
    }
    if (trained >= EVENTS) {
      t1 = performance.now();
      cpu = processCpu(child.pid);
      mainCpu = threadCpu(child.pid, child.pid);
      otherCpu = busiestOtherThreadCpu(child.pid);
      peakMb = peakRss(child.pid);
      break;
    }
  }
  child.kill("SIGINT");
  const status = await child.status;
  if (t1 === 0) {
    throw new Error(`${name} trained ${trained} of ${EVENTS} events:\n${await stderr}`);
  }
  if (!status.success) console.error(`bench: ${name} exited ${status.code}:\n${await stderr}`);
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  const out = await stdout;
  const pipeline = out.split("\n").find((line) => line.startsWith("pipeline: "));
  return {
    pipeline,
    gc: values.gc ? gcTotals(out) : undefined,
    tool: name,
    seconds: (t1 - t0) / 1000,
    cpuSeconds: cpu,
    peakMb,
    mainCpuSeconds: mainCpu,
    otherCpuSeconds: otherCpu,
  };
}

async function consumerPerformance(i: number): Promise<Run> {
  const timeFile = `${work}/time-cp-${i}.txt`;
  const wrapper = `${work}/java-timed.sh`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec /usr/bin/time -f "CPU %U %S" -o '${timeFile}' java "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  const result = await kafkaTool(KAFKA_TOOLS.consumerPerformance, [
    "--bootstrap-server",
    brokers,
    "--topic",
    topic,
    "--messages",
    String(EVENTS),
    "--group",
    `bench-cp-${crypto.randomUUID().slice(0, 8)}`,
  ], { java: wrapper, timeoutMs: 600_000, heap: "1g" });
  if (!result.success) {
    throw new Error(`ConsumerPerformance failed (${result.code}):\n${result.stderr}`);
  }
  const m = /CPU (\S+) (\S+)/.exec(await Deno.readTextFile(timeFile));
  if (!m) throw new Error(`no /usr/bin/time output in ${timeFile}`);
  return {
    tool: "ConsumerPerformance",
    seconds: result.elapsedMs / 1000,
    cpuSeconds: Number(m[1]) + Number(m[2]),
  };
}

/** A fraction as a whole percentage. */
function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

const runs: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  const order: (() => Promise<Run>)[] = [
    ...CONFIGS.map((c) => () => train(c.name, MAIN, i, c.args)),
    () => consumerPerformance(i),
  ];
  if (BEFORE !== undefined) {
    if (values.configs === undefined) order.push(() => train("train (before)", BEFORE, i));
    else {
      for (const c of CONFIGS) {
        order.push(() => train(c.name.replace(/\)$/, ", before)"), BEFORE, i, c.args));
      }
    }
  }
  for (const step of order) {
    const r = await step();
    runs.push(r);
    console.error(
      `bench: run ${i + 1}: ${r.tool} ${Math.round(EVENTS / r.seconds)} events/s, ${
        (r.cpuSeconds / (EVENTS / 1e6)).toFixed(2)
      } CPU-s/M${
        r.peakMb === undefined
          ? ""
          : ` (main thread ${(r.mainCpuSeconds! / (EVENTS / 1e6)).toFixed(2)}, busiest other ${
            (r.otherCpuSeconds! / (EVENTS / 1e6)).toFixed(2)
          }, the rest ${
            ((r.cpuSeconds - r.mainCpuSeconds! - r.otherCpuSeconds!) / (EVENTS / 1e6)).toFixed(2)
          }), peak RSS ${r.peakMb.toFixed(0)} MB`
      }; load average ${loadAverage()}${
        r.mainCpuSeconds === undefined
          ? ""
          : `; busy: main ${pct(r.mainCpuSeconds / r.seconds)}, other ${
            pct(r.otherCpuSeconds! / r.seconds)
          }`
      }${r.pipeline === undefined ? "" : `\nbench:   ${r.pipeline}`}${
        r.gc === undefined
          ? ""
          : `\nbench:   gc: ${r.gc.scavenges} scavenges (${
            r.gc.scavengeMs.toFixed(0)
          } ms), ${r.gc.markCompacts} mark-compacts (${r.gc.markCompactMs.toFixed(0)} ms), ${
            (r.gc.promoted / 1e6).toFixed(0)
          } MB promoted`
      }`,
    );
  }
}
await Deno.remove(work, { recursive: true }).catch(() => {});

const tools = [...new Set(runs.map((r) => r.tool))];
const rate = (r: Run) => EVENTS / r.seconds;
const cpuPerM = (r: Run) => r.cpuSeconds / (EVENTS / 1e6);
const cpMedian = median(runs.filter((r) => r.tool === "ConsumerPerformance").map(rate));
const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
console.log(
  `${int.format(EVENTS)} events, 1 partition, ${RUNS} alternated runs each, whole processes ` +
    `(start-up included); load average ${loadAverage()} after`,
);
console.log("");
console.log(
  "| tool | events/s per run | median events/s | × ConsumerPerformance | CPU-s/M per run | median CPU-s/M | main thread CPU-s/M (median) | busiest other thread CPU-s/M (median) | busy main / other (median) | peak RSS, MB (median) |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const tool of tools) {
  const mine = runs.filter((r) => r.tool === tool);
  const m = median(mine.map(rate));
  console.log(
    `| ${tool} | ${mine.map((r) => int.format(rate(r))).join(", ")} | ${int.format(m)} | ${
      (m / cpMedian).toFixed(2)
    } | ${mine.map((r) => cpuPerM(r).toFixed(2)).join(", ")} | ${
      median(mine.map(cpuPerM)).toFixed(2)
    } | ${
      mine[0].mainCpuSeconds === undefined
        ? "-"
        : median(mine.map((r) => r.mainCpuSeconds! / (EVENTS / 1e6))).toFixed(2)
    } | ${
      mine[0].otherCpuSeconds === undefined
        ? "-"
        : median(mine.map((r) => r.otherCpuSeconds! / (EVENTS / 1e6))).toFixed(2)
    } | ${
      mine[0].mainCpuSeconds === undefined
        ? "-"
        : `${pct(median(mine.map((r) => r.mainCpuSeconds! / r.seconds)))} / ${
          pct(median(mine.map((r) => r.otherCpuSeconds! / r.seconds)))
        }`
    } | ${mine[0].peakMb === undefined ? "-" : median(mine.map((r) => r.peakMb!)).toFixed(0)} |`,
  );
}

if (values.gc) {
  const perM = (x: number) => x / (EVENTS / 1e6);
  console.log("");
  console.log(
    "| tool (V8's --trace-gc-nvp, per million events, medians) | scavenges | scavenge pause, ms | mark-compacts | mark-compact pause, ms | promoted, MB |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const tool of tools) {
    const mine = runs.filter((r) => r.tool === tool && r.gc !== undefined).map((r) => r.gc!);
    if (mine.length === 0) continue;
    const m = (f: (g: GcTotals) => number, digits: number) =>
      perM(median(mine.map(f))).toFixed(digits);
    console.log(
      `| ${tool} | ${m((g) => g.scavenges, 0)} | ${m((g) => g.scavengeMs, 0)} | ${
        m((g) => g.markCompacts, 1)
      } | ${m((g) => g.markCompactMs, 0)} | ${m((g) => g.promoted / 1e6, 1)} |`,
    );
  }
}
