/**
 * `deno task bench:memory`: the trainer's memory, measured as the kernel sees it — peak RSS as
 * `VmHWM` of `/proc/<pid>/status`, read until the process exits (its last checkpoint included) —
 * in the two runs of issue 17. Benchmarks, not tests: it prints tables, and a row fails a bound
 * only in its own "bound" column.
 *
 * 1. **Live sessions.** A topic of `--session-events` events over more than `--sessions`
 *    sessions (the generator's pool at `--sessions`, a new session at every `--new-session`
 *    share of events) is learnt by a trainer with `--max-sessions <sessions>` and a day of idle
 *    time, so its store ends holding `--sessions` live sessions; checkpoints every 5 s. Then a
 *    second trainer restores that checkpoint. Once with the default V8 heap, once with
 *    `--v8-flags=--max-old-space-size=<old-space>`, once with the V8 flags of deno.json's `train`
 *    task (what `deno task train` runs with). Per row: live sessions (`/weights`), peak RSS of
 *    the learning trainer (across its checkpoints) and, at that peak, the V8 heap's committed
 *    size (`/metrics` `process_heap_total_bytes`) and the rest (typed arrays and buffers outside
 *    the heap, code, the runtime), the CPU seconds it took to learn the events, the
 *    checkpoint's size, the last checkpoint's write time, the restore time and the restoring
 *    trainer's peak RSS.
 * 2. **The seed's run.** `loadtest --bytes <bytes>` (its defaults: `defaultWorkers()` workers —
 *    half the cores, 1 to 4 — × 4 senders, as fast as it can)
 *    while a trainer learns live on one partition: events sent and trained, bad records, the
 *    trainer's peak RSS, the lag, the drain time after the generator stopped, and the cores
 *    each process used (CPU seconds / wall seconds, `/proc/<pid>/stat`); the trainer runs with
 *    `--trainer-v8-flags` (`task`: the `train` task's, the default; `none`: V8's defaults). The trainer's solo
 *    rate is its rate while it drains alone after the generator stopped; then the same run
 *    again with the generator capped (`--rate`) at `--capped` (80 %) of that rate.
 *
 * ```sh
 * deno task bench:memory [--sessions 1000000] [--session-events 4000000] [--old-space 256]
 *                        [--heaps default,old-space,task[;v8:--FLAGS]] [--rounds 1]
 *                        [--trainer-env none|K=V,K=V …]
 *                        [--bytes 5GB] [--capped 0.8] [--trainer-v8-flags FLAGS]
 *                        [--trainer-flags="--featurize-worker on"]
 *                        [--skip-sessions] [--skip-seed] [--drain-timeout 1800 (s)]
 *                        [--brokers 127.0.0.1:9092 [--broker-pid PID, for its cores]]
 * ```
 *
 * Units: RSS in MB, 10^6 bytes (issue 17's unit, and its bound: 300 MB), with MiB (2^20 bytes,
 * the kernel's kB are KiB) beside it. `--heaps` picks the live-session rows' V8 heaps (`default`,
 * `old-space`: `--max-old-space-size=<old-space>`, `task`: the `train` task's V8 flags and the
 * environment it sets before `deno run` (a `--trainer-env` variant is set over it), or
 * `v8:--FLAGS` for `--v8-flags=--FLAGS`; `;` between a `v8:` entry and the others, e.g.
 * `"task;v8:--max-heap-size=192"`).
 * `--trainer-env` (repeatable) is the trainer's extra environment, e.g. glibc malloc's
 * `MALLOC_ARENA_MAX=2`: each occurrence a variant (`none`: the inherited environment alone), run
 * for each heap; the seed's run takes the first. `--rounds N` runs the live-session rows N times,
 * alternating the variants, then prints each variant's medians.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startBroker } from "../dev/kafka/broker.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { KafkaClient } from "../src/kafka/client.ts";
import { formatCount } from "../src/loadgen/progress.ts";
import { defaultWorkers } from "../src/loadgen/load_workers_options.ts";
import { parseBytes, parseCount } from "../src/util/units.ts";
// The trainer is started as the tests start it (benchmarks may import from tests/_helpers).
import { readWeights, spawnTrain, type TrainProcess } from "../tests/_helpers/train_process.ts";
import { markdown, median, processCpu, sleep } from "./_measure.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "1000000" },
    "session-events": { type: "string", default: "4000000" },
    "new-session": { type: "string", default: "0.3" },
    "old-space": { type: "string", default: "256" },
    bytes: { type: "string", default: "5GB" },
    capped: { type: "string", default: "0.8" },
    "skip-sessions": { type: "boolean" },
    "skip-seed": { type: "boolean" },
    "trainer-v8-flags": { type: "string", default: "task" },
    brokers: { type: "string" },
    "broker-pid": { type: "string" },
    "drain-timeout": { type: "string", default: "1800" },
    heaps: { type: "string", default: "default,old-space,task" },
    rounds: { type: "string", default: "1" },
    "trainer-env": { type: "string", multiple: true },
    "trainer-flags": { type: "string", default: "" },
  },
  strict: true,
});
const SESSIONS = parseCount(values.sessions);
const SESSION_EVENTS = parseCount(values["session-events"]);
const NEW_SESSION = Number(values["new-session"]);
if (!(NEW_SESSION > 0 && NEW_SESSION <= 1)) {
  throw new RangeError(`--new-session ${values["new-session"]}: a share in (0, 1]`);
}
const OLD_SPACE = parseCount(values["old-space"]);
const BYTES = parseBytes(values.bytes);
const CAPPED = Number(values.capped);
if (!(CAPPED > 0 && CAPPED < 1)) throw new RangeError(`--capped ${values.capped}: in (0, 1)`);
/** Issue 17's bound on peak RSS, MB (10^6 bytes). */
const RSS_BOUND_MB = 300;
const HEAPS = values.heaps.split(";").flatMap((part) =>
  part.startsWith("v8:") ? [part] : part.split(",").map((h) => h.trim())
);
for (const h of HEAPS) {
  if (!["default", "old-space", "task"].includes(h) && !/^v8:--\S+$/.test(h)) {
    throw new RangeError(
      `--heaps ${values.heaps}: "${h}" is not one of default, old-space, task, v8:--FLAGS`,
    );
  }
}
const ROUNDS = Number(values.rounds);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 20)) {
  throw new RangeError(`--rounds ${values.rounds}: a whole number in 1..20`);
}
/** A variant of the trainer's environment: its name (as given) and its variables. */
interface EnvVariant {
  name: string;
  env: Record<string, string>;
}
/** `none`, or `K=V,K=V` (names of letters, digits and `_`; values without `,`). */
function parseEnv(text: string): EnvVariant {
  if (text === "none") return { name: "none", env: {} };
  const env: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair.trim());
    if (!m) throw new RangeError(`--trainer-env ${text}: "${pair}" is not NAME=VALUE (or none)`);
    env[m[1]] = m[2];
  }
  return { name: text, env };
}
const ENVS = (values["trainer-env"] ?? ["none"]).map(parseEnv);
/** How long the seed run waits for the trainer to drain after the generator stopped, s. */
const DRAIN_TIMEOUT_S = Number(values["drain-timeout"]);
if (!(DRAIN_TIMEOUT_S > 0)) {
  throw new RangeError(`--drain-timeout ${values["drain-timeout"]}: seconds, positive`);
}
/** The `train` task of deno.json: what `deno task train` runs. */
const TRAIN_TASK = String(
  JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url))).tasks?.train ?? "",
);
/** The `--v8-flags=…` of deno.json's `train` task, or none. */
function taskV8Flags(): string[] {
  const m = /(--v8-flags=\S+)/.exec(TRAIN_TASK);
  return m ? [m[1]] : [];
}
/** The environment the `train` task sets before `deno run` (`NAME=VALUE … deno run …`). */
function taskEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of TRAIN_TASK.slice(0, Math.max(0, TRAIN_TASK.indexOf("deno "))).split(/\s+/)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(word);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
const TASK_FLAGS = taskV8Flags();
const TASK_ENV = taskEnv();
const TASK_ENV_TEXT = Object.entries(TASK_ENV).map(([k, v]) => `${k}=${v} `).join("");
/** `--trainer-flags`: flags of `train` itself for every trainer, e.g. `--featurize-worker on`. */
const TRAINER_ARGS = values["trainer-flags"]!.split(/\s+/).filter((flag) => flag !== "");
/** `deno run` flags of the seed run's trainers (`--trainer-v8-flags`: task, none, or flags). */
const TRAINER_FLAGS = values["trainer-v8-flags"] === "task"
  ? TASK_FLAGS
  : values["trainer-v8-flags"] === "none"
  ? []
  : [`--v8-flags=${values["trainer-v8-flags"]}`];

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const external = values.brokers ?? Deno.env.get("KAFKA_BROKERS");
await using broker = external ? undefined : await startBroker({
  onProgress: (line) => console.error(`bench: ${line}`),
});
const brokers = external ?? broker!.brokers;
const client = new KafkaClient({ brokers, clientId: "clickstream-bench-memory" });
const work = await Deno.makeTempDir({ prefix: "clickstream-bench-memory-" });
const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
/** MB (10^6 bytes) of `kb` KiB (what `/proc` calls kB). */
const mbOf = (kb: number) => kb * 1024 / 1e6;
/** `kb` KiB as "N MB (M MiB)". */
const mb = (kb: number) => `${mbOf(kb).toFixed(0)} MB (${(kb / 1024).toFixed(0)} MiB)`;

/** Peak RSS so far, kB (`VmHWM`). */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  if (!m) throw new Error(`no VmHWM for ${pid}`);
  return Number(m[1]);
}

/** The V8 heap's committed bytes (`process_heap_total_bytes` of `/metrics`), or NaN. */
async function heapTotal(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^process_heap_total_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/**
 * Follows a process: its peak RSS and CPU, read every 100 ms until it exits (the last readings
 * before the exit stand), and with `url` the V8 heap's committed size read when the peak rose.
 */
function follow(pid: number, exited: Promise<unknown>, url?: string) {
  const state = { peakKb: 0, cpu: 0, heapAtPeak: NaN };
  let done = false;
  exited.then(() => done = true);
  const loop = (async () => {
    while (!done) {
      try {
        const peak = peakRss(pid);
        state.cpu = processCpu(pid);
        if (peak > state.peakKb) {
          state.peakKb = peak;
          if (url !== undefined) state.heapAtPeak = await heapTotal(url);
        }
      } catch { /* exited between the check and the read */ }
      await sleep(100);
    }
  })();
  return { state, finished: loop };
}

async function endOffset(topic: string): Promise<number> {
  await using admin = await KafkaAdmin.connect(client);
  return (await admin.topicOffsets(topic)).reduce((s, p) => s + p.high, 0);
}

/** `clickstream loadtest` onto `topic`, stdout piped; its pid and its summary line. */
function loadtest(topic: string, ...flags: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "loadtest", "--brokers", brokers, "--topic", topic, ...flags],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const output = child.output().then((o) => {
    if (!o.success) throw new Error(`loadtest ${flags.join(" ")} failed`);
    const text = new TextDecoder().decode(o.stdout);
    const m = /loadtest done: ([\d,]+) events/.exec(text);
    if (!m) throw new Error(`no summary in the loadtest output:\n${text.slice(-2000)}`);
    return { events: Number(m[1].replaceAll(",", "")), text };
  });
  return { pid: child.pid, output };
}

/** A trainer with the log lines this bench reads: checkpoint write and restore times. */
function trainer(
  topic: string,
  stateDir: string,
  denoFlags: string[],
  args: string[],
  env: Record<string, string> = {},
) {
  const writes: number[] = [];
  let restoredMs: number | null = null;
  const train: TrainProcess = spawnTrain(brokers, topic, {
    stateDir,
    group: `bench-memory-${crypto.randomUUID().slice(0, 8)}`,
    denoFlags: ["-A", ...denoFlags],
    args: ["--starting-offsets", "earliest", ...TRAINER_ARGS, ...args],
    env,
    onLine: (line, stream) => {
      if (stream === "stderr") console.error(`train: ${line}`);
      const w = /^checkpoint written in (\d+) ms/.exec(line);
      if (w) writes.push(Number(w[1]));
      const r = /^checkpoint restored in (\d+) ms/.exec(line);
      if (r) restoredMs = Number(r[1]);
    },
  });
  const followed = follow(train.pid, train.exited, train.url);
  return {
    train,
    writes,
    restored: () => restoredMs,
    peakKb: () => followed.state.peakKb,
    heapAtPeak: () => followed.state.heapAtPeak,
    cpu: () => followed.state.cpu,
    async stop() {
      const exit = await train.stop("SIGINT");
      await followed.finished;
      return exit;
    },
  };
}

async function waitTrained(t: TrainProcess, events: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  t.exited.then(() => ended = true);
  while (Date.now() < deadline && !ended) {
    const w = await readWeights(t.url);
    if (w && w.events_trained >= events) return w;
    await sleep(200);
  }
  throw new Error(
    `the trainer did not train ${events} events${ended ? " (it exited)" : ""}:\n${
      t.output().slice(-3000)
    }`,
  );
}

/** The newest checkpoint file's size in `dir`, bytes. */
function checkpointBytes(dir: string): number {
  let newest = { mtime: 0, size: 0 };
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !/checkpoint/.test(entry.name)) continue;
    const info = Deno.statSync(`${dir}/${entry.name}`);
    const mtime = info.mtime?.getTime() ?? 0;
    if (mtime >= newest.mtime) newest = { mtime, size: info.size };
  }
  return newest.size;
}

async function liveSessions(): Promise<void> {
  const topic = `bench-memory-sessions-${crypto.randomUUID().slice(0, 8)}`;
  console.error(
    `bench: ${formatCount(SESSION_EVENTS)} events over a pool of ${
      formatCount(SESSIONS)
    } sessions into ${topic} (load ${load()}) ...`,
  );
  await loadtest(
    topic,
    "--events",
    String(SESSION_EVENTS),
    "--max-sessions",
    String(SESSIONS),
    "--new-session-probability",
    String(NEW_SESSION),
    "--workers",
    "2",
  ).output;
  const heaps = [
    { key: "default", name: "default V8 heap", flags: [] as string[], env: {} },
    {
      key: "old-space",
      name: `--max-old-space-size=${OLD_SPACE}`,
      flags: [`--v8-flags=--max-old-space-size=${OLD_SPACE}`],
      env: {},
    },
    ...(TASK_FLAGS.length > 0
      ? [{
        key: "task",
        name: `deno task train's ${TASK_ENV_TEXT}${TASK_FLAGS[0]}`,
        flags: TASK_FLAGS,
        env: TASK_ENV,
      }]
      : []),
    ...HEAPS.filter((h) => h.startsWith("v8:")).map((h) => ({
      key: h,
      name: `--v8-flags=${h.slice(3)}`,
      flags: [`--v8-flags=${h.slice(3)}`],
      env: {},
    })),
  ].filter((h) => HEAPS.includes(h.key));
  const rows: string[][] = [];
  /** Per heap × environment: each round's peak (kB), heap at the peak (MB), CPU-s/M, passed. */
  const results = new Map<
    string,
    { peakKb: number; heapMb: number; cpuPerM: number; passed: boolean; load: string }[]
  >();
  let runIndex = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const heap of heaps) {
      for (const variant of ENVS) {
        const name = ENVS.length > 1 || variant.name !== "none"
          ? `${heap.name}, env ${variant.name}`
          : heap.name;
        const stateDir = `${work}/sessions-${runIndex++}`;
        const startLoad = load();
        console.error(
          `bench: live sessions, round ${round + 1}/${ROUNDS}, ${name} (load ${startLoad}) ...`,
        );
        const args = [
          "--max-sessions",
          String(SESSIONS),
          "--session-idle",
          "24h",
          "--checkpoint-interval",
          "5s",
        ];
        const env = { ...heap.env, ...variant.env };
        const learning = trainer(topic, stateDir, heap.flags, args, env);
        let live = NaN, trained = false, cpu = NaN;
        try {
          const w = await waitTrained(learning.train, SESSION_EVENTS, 600_000) as unknown as {
            sessions?: { live: number };
          };
          cpu = learning.cpu();
          live = w.sessions?.live ?? NaN;
          trained = true;
        } catch (error) {
          console.error(`bench: ${(error as Error).message.slice(0, 2000)}`);
        }
        const exit = await learning.stop();
        const passed = trained && exit.code === 0;
        const size = passed ? checkpointBytes(stateDir) : 0;
        const restoring = trainer(topic, stateDir, heap.flags, args, env);
        const deadline = Date.now() + 300_000;
        while (restoring.restored() === null && Date.now() < deadline) {
          if (await Promise.race([restoring.train.exited.then(() => true), sleep(200)])) break;
        }
        const restoredExit = await restoring.stop();
        const restored = restoring.restored();
        const peak = learning.peakKb(), heapMb = learning.heapAtPeak() / 1e6;
        const cpuPerM = cpu / (SESSION_EVENTS / 1e6);
        const ok = passed && restoredExit.code === 0;
        const list = results.get(name) ?? [];
        list.push({ peakKb: peak, heapMb, cpuPerM, passed: ok, load: startLoad });
        results.set(name, list);
        const row = [
          ROUNDS > 1 ? `${name} (${round + 1})` : name,
          formatCount(live),
          mb(peak),
          bound(peak),
          Number.isNaN(heapMb)
            ? "?"
            : `${heapMb.toFixed(0)} / ${(mbOf(peak) - heapMb).toFixed(0)} MB`,
          `${cpuPerM.toFixed(2)} s`,
          `${learning.writes.length}`,
          `${(size / 1e6).toFixed(1)} MB`,
          learning.writes.length > 0 ? `${learning.writes[learning.writes.length - 1]} ms` : "?",
          restored === null ? "?" : `${restored} ms`,
          mb(restoring.peakKb()),
          ok ? "yes" : `NO (exit ${exit.code}/${restoredExit.code})`,
          startLoad,
        ];
        rows.push(row);
        console.error(`bench: ${row.join(" | ")}`);
      }
    }
  }
  await using admin = await KafkaAdmin.connect(client);
  await admin.deleteTopics([topic]).catch(() => {});
  console.log(
    `\nlive sessions: ${formatCount(SESSION_EVENTS)} events, the generator's pool at ${
      formatCount(SESSIONS)
    } sessions and ${
      Math.round(NEW_SESSION * 100)
    } % of events a new session; train --max-sessions ${SESSIONS} --session-idle 24h --checkpoint-interval 5s${
      TRAINER_ARGS.length > 0 ? ` ${TRAINER_ARGS.join(" ")}` : ""
    }; MB = 10^6 bytes, MiB = 2^20\n`,
  );
  console.log(markdown([
    "trainer",
    "live sessions",
    "peak RSS (VmHWM)",
    "bound",
    "at the peak: V8 heap / rest",
    "CPU s per 1M events",
    "checkpoints",
    "checkpoint size",
    "last write",
    "restore",
    "restoring peak RSS",
    "passed",
    "load average",
  ], rows));
  if (ROUNDS > 1) {
    console.log(`\nmedians of ${ROUNDS} alternated rounds (MB = 10^6 bytes, MiB = 2^20)\n`);
    console.log(markdown(
      [
        "trainer",
        "peak RSS, median",
        "bound",
        "peaks per round, MB",
        "V8 heap / rest at the peak, median",
        "CPU s per 1M events, median",
        "passed",
        "load averages",
      ],
      [...results].map(([name, rs]) => {
        const peak = median(rs.map((r) => r.peakKb));
        const heapMb = median(rs.map((r) => r.heapMb).filter((h) => !Number.isNaN(h)));
        return [
          name,
          mb(peak),
          bound(peak),
          rs.map((r) => mbOf(r.peakKb).toFixed(0)).join(", "),
          Number.isNaN(heapMb)
            ? "?"
            : `${heapMb.toFixed(0)} / ${(mbOf(peak) - heapMb).toFixed(0)} MB`,
          median(rs.map((r) => r.cpuPerM)).toFixed(2),
          rs.every((r) => r.passed)
            ? "all"
            : `${rs.filter((r) => r.passed).length} of ${rs.length}`,
          rs.map((r) => r.load.split(" ")[0]).join(", "),
        ];
      }),
    ));
  }
}

/** Issue 17's bound, 300 MB (10^6 bytes), against a peak of `kb` KiB. */
function bound(kb: number): string {
  return mbOf(kb) <= RSS_BOUND_MB ? `≤ ${RSS_BOUND_MB} MB: yes` : `≤ ${RSS_BOUND_MB} MB: NO`;
}

interface SeedRun {
  label: string;
  sent: number;
  trained: number;
  bad: number;
  genSeconds: number;
  drainSeconds: number | null;
  soloRate: number | null;
  maxLag: number;
  lastThirdMaxLag: number;
  peakKb: number;
  /** The V8 heap's committed MB (10^6 bytes) when the peak was reached. */
  heapAtPeak: number;
  cores: { trainer: number; generator: number; broker: number | null };
  load: string;
}

/** `loadtest --bytes` (at `rate`, or as fast as it can) while a fresh trainer learns live. */
async function seedRun(label: string, rate: number | null): Promise<SeedRun> {
  const topic = `bench-memory-seed-${crypto.randomUUID().slice(0, 8)}`;
  const startLoad = load();
  console.error(`bench: ${label} (load ${startLoad}) ...`);
  // The topic first, so the trainer is in the group before the first record.
  await using admin = await KafkaAdmin.connect(client);
  await admin.ensureTopic(topic, { partitions: 1 });
  const t = trainer(
    topic,
    `${work}/seed-${crypto.randomUUID().slice(0, 8)}`,
    TRAINER_FLAGS,
    [],
    { ...(values["trainer-v8-flags"] === "task" ? TASK_ENV : {}), ...ENVS[0].env },
  );
  // A first thousand events, trained before the generator starts: the trainer is in the group.
  const { events: warm } = await loadtest(topic, "--events", "1000", "--workers", "1").output;
  await waitTrained(t.train, warm, 300_000);
  const brokerPid = broker?.pid ??
    (values["broker-pid"] === undefined ? undefined : Number(values["broker-pid"]));
  const cpu0 = { trainer: t.cpu(), broker: brokerPid === undefined ? null : processCpu(brokerPid) };
  const t0 = performance.now();
  const gen = loadtest(
    topic,
    "--bytes",
    String(BYTES),
    ...(rate === null ? [] : ["--rate", String(Math.floor(rate))]),
  );
  let genDone = false;
  let genCpu = 0;
  gen.output.finally(() => genDone = true).catch(() => {});
  const lags: { at: number; lag: number }[] = [];
  let trainerCpu1 = cpu0.trainer, brokerCpu1 = cpu0.broker;
  while (!genDone) {
    const w = await readWeights(t.train.url);
    if (w) {
      lags.push({
        at: (performance.now() - t0) / 1000,
        lag: (await endOffset(topic)) - w.events_trained,
      });
    }
    try {
      genCpu = processCpu(gen.pid);
      trainerCpu1 = t.cpu();
      brokerCpu1 = brokerPid === undefined ? null : processCpu(brokerPid);
    } catch { /* exited between the check and the read */ }
    await sleep(500);
  }
  const genSeconds = (performance.now() - t0) / 1000;
  const sent = warm + (await gen.output).events;
  const stopped = performance.now();
  const atStop = (await readWeights(t.train.url))?.events_trained ?? 0;
  let last = atStop;
  let drainSeconds: number | null = null;
  let bad = 0;
  while (performance.now() - stopped < DRAIN_TIMEOUT_S * 1000) {
    const w = await readWeights(t.train.url);
    if (w) {
      last = w.events_trained;
      bad = Object.values(w.bad_records).reduce((a, b) => a + b, 0);
      if (last + bad >= sent) {
        drainSeconds = (performance.now() - stopped) / 1000;
        break;
      }
    }
    await sleep(100);
  }
  await t.stop();
  await admin.deleteTopics([topic]).catch(() => {});
  const during = lags.filter((l) => l.at > 5);
  const lastThird = during.slice(Math.floor((during.length * 2) / 3));
  return {
    label,
    sent,
    trained: last,
    bad,
    genSeconds,
    drainSeconds,
    // Its rate alone: over the drain, or over the wait when it did not drain in time.
    soloRate: drainSeconds === null
      ? (last - atStop) / DRAIN_TIMEOUT_S
      : drainSeconds > 5
      ? (last - atStop) / drainSeconds
      : null,
    maxLag: Math.max(0, ...during.map((l) => l.lag)),
    lastThirdMaxLag: Math.max(0, ...lastThird.map((l) => l.lag)),
    peakKb: t.peakKb(),
    heapAtPeak: t.heapAtPeak() / 1e6,
    cores: {
      trainer: (trainerCpu1 - cpu0.trainer) / genSeconds,
      generator: genCpu / genSeconds,
      broker: cpu0.broker === null || brokerCpu1 === null
        ? null
        : (brokerCpu1 - cpu0.broker) / genSeconds,
    },
    load: startLoad,
  };
}

async function seed(): Promise<void> {
  const free = await seedRun(`loadtest --bytes ${values.bytes} as fast as it can`, null);
  const solo = free.soloRate;
  const runs = [free];
  if (solo === null) {
    console.error("bench: the trainer drained in under 5 s: no solo rate, no capped run");
  } else {
    if (free.drainSeconds === null) {
      console.error(
        `bench: the trainer did not drain in ${DRAIN_TIMEOUT_S} s; its rate alone over that wait, ${
          formatCount(solo)
        }/s, caps the next run`,
      );
    }
    runs.push(
      await seedRun(
        `loadtest --bytes ${values.bytes} --rate ${Math.floor(solo * CAPPED)} (${
          Math.round(CAPPED * 100)
        } % of the solo ${formatCount(solo)}/s)`,
        solo * CAPPED,
      ),
    );
  }
  console.log(
    `\nthe seed's run: loadtest --bytes ${values.bytes} (its defaults: ${defaultWorkers()} worker(s) × 4 senders on ${navigator.hardwareConcurrency} cores) while train${
      TRAINER_ARGS.length > 0 ? ` ${TRAINER_ARGS.join(" ")}` : ""
    } learns live on one partition (defaults${
      TRAINER_FLAGS.length > 0
        ? `, ${values["trainer-v8-flags"] === "task" ? TASK_ENV_TEXT : ""}deno run ${
          TRAINER_FLAGS.join(" ")
        }`
        : ""
    }); a thousand events trained first; solo rate = the trainer's rate draining alone after the generator stopped\n`,
  );
  console.log(markdown(
    [
      "generator",
      "events sent",
      "events trained",
      "bad",
      "generator s",
      "max lag",
      "max lag, last third",
      "drained after stop",
      "solo rate",
      "trainer peak RSS",
      "at the peak: V8 heap / rest",
      "cores: trainer / generator / broker",
      "load average",
    ],
    runs.map((r) => [
      r.label,
      formatCount(r.sent),
      `${formatCount(r.trained)}${r.trained + r.bad === r.sent ? " (=)" : " (≠)"}`,
      String(r.bad),
      r.genSeconds.toFixed(0),
      formatCount(r.maxLag),
      formatCount(r.lastThirdMaxLag),
      r.drainSeconds === null ? `not in ${DRAIN_TIMEOUT_S} s` : `${r.drainSeconds.toFixed(1)} s`,
      r.soloRate === null ? "-" : `${formatCount(r.soloRate)}/s`,
      mb(r.peakKb),
      Number.isNaN(r.heapAtPeak)
        ? "?"
        : `${r.heapAtPeak.toFixed(0)} / ${(mbOf(r.peakKb) - r.heapAtPeak).toFixed(0)} MB`,
      `${r.cores.trainer.toFixed(2)} / ${r.cores.generator.toFixed(2)} / ${
        r.cores.broker === null ? "?" : r.cores.broker.toFixed(2)
      }`,
      r.load,
    ]),
  ));
}

try {
  console.log(
    `bench:memory — ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}, broker ${brokers}${
      external ? " (external)" : " (started here)"
    }, load average ${load()}`,
  );
  if (!values["skip-sessions"]) await liveSessions();
  if (!values["skip-seed"]) await seed();
} finally {
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
