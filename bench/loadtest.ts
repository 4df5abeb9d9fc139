/**
 * `deno task bench:loadtest`: races the load generator against Kafka's own producer benchmark,
 * `org.apache.kafka.tools.ProducerPerformance` (from the pinned 4.1.2 jars), on the local broker
 * in one run: the same record count, the same records (ProducerPerformance gets a payload file of
 * the generator's own JSON events, so the mean record size and what gzip sees are the same; it
 * sends them without a key, the generator with its 10-byte session id), the same acks and
 * compression, the Java client's other settings at their defaults (batch.size 16384, linger.ms
 * 5) — and once more with batch.size 131072, about the generator's 1000 records per request.
 * The generator runs in each configuration of `--configs` (workers × senders per worker, and
 * optionally × sends in flight per sender; `default` is `loadtest` with no such flag, as a user
 * runs it: `defaultWorkers()` workers — half the cores, 1 to 4 — × 4 senders; by default
 * `default,4x4,2x4`).
 *
 * The runs alternate: each of `--rounds` rounds (3 by default) runs ProducerPerformance, then
 * every generator configuration, then ProducerPerformance with the larger batches, so that a
 * change of the machine's load hits both tools alike. Every generator run's ratio is against
 * ProducerPerformance of its own round; the table gives each row's median events/s and CPU, its
 * ratio per round and their median. The load average before each run is printed with it.
 *
 * CPU is measured per process with `/usr/bin/time` (user + system seconds of the whole process:
 * the Deno process with all its Web Workers; the JVM of ProducerPerformance, its start-up and JIT
 * included), and the broker's CPU over the same run from `/proc/<pid>/stat` when the bench
 * started the broker itself. Events/s are the tools' own figures: the generator's from the first
 * send to the last acknowledgement, ProducerPerformance's from its first send to its last
 * callback (neither counts process start-up or connecting). The machine is shared: wall-clock
 * rates follow its load, CPU seconds per million events much less.
 *
 * With `--e2e` it measures the load generator against the trainer instead: the trainer alone on a
 * pre-filled topic gives its solo rate; then, for each fraction of `--e2e-fraction` (80, 60 and
 * 40 % by default), the generator runs at that share of the solo rate for `--e2e-seconds` while a
 * fresh trainer consumes with a short trigger. A table gives the lag (end offset minus events
 * trained, sampled every 0.5 s), the time to drain after the generator stops, and the cores each
 * process used meanwhile (CPU seconds per second, from `/proc/<pid>/stat`): on 2 cores the
 * generator, the broker and the trainer share them.
 *
 * ```sh
 * deno task bench:loadtest --e2e [--e2e-prefill 2000000] [--e2e-seconds 60] [--e2e-trigger 250ms]
 *                                [--e2e-fraction 0.8,0.6,0.4] [--e2e-workers 2]
 * deno task bench:loadtest [--events 2000000] [--acks leader|all] [--compression none|gzip]
 *                          [--partitions 1] [--brokers 127.0.0.1:9092] [--rounds 3]
 *                          [--configs default,4x4,2x4] [--skip-scaling] [--skip-big-batches]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startBroker } from "../dev/kafka/broker.ts";
import { KAFKA_TOOLS, kafkaTool } from "../dev/kafka/tools.ts";
import { SessionGenerator } from "../src/generator/session_generator.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { KafkaClient } from "../src/kafka/client.ts";
import { eventJson } from "../src/loadgen/record_encoder.ts";
import { formatCount } from "../src/loadgen/progress.ts";
import { defaultWorkers } from "../src/loadgen/load_workers_options.ts";
// The trainer is started as the tests start it (benchmarks may import from tests/_helpers).
import { spawnTrain } from "../tests/_helpers/train_process.ts";
import { markdown, median, processCpu, sleep } from "./_measure.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "2000000" },
    acks: { type: "string", default: "leader" },
    compression: { type: "string", default: "none" },
    partitions: { type: "string", default: "1" },
    brokers: { type: "string" },
    "skip-scaling": { type: "boolean" },
    "skip-big-batches": { type: "boolean" },
    rounds: { type: "string", default: "3" },
    configs: { type: "string", default: "default,4x4,2x4" },
    e2e: { type: "boolean" },
    "e2e-prefill": { type: "string", default: "2000000" },
    "e2e-seconds": { type: "string", default: "60" },
    "e2e-trigger": { type: "string", default: "250ms" },
    "e2e-fraction": { type: "string", default: "0.8,0.6,0.4" },
    "e2e-workers": { type: "string", default: "2" },
  },
});
const EVENTS = Number(values.events);
const ACKS = values.acks as "leader" | "all" | "none";
const COMPRESSION = values.compression as "none" | "gzip";
const PARTITIONS = Number(values.partitions);
if (!Number.isInteger(EVENTS) || EVENTS < 1) throw new RangeError(`--events ${values.events}`);
if (!["leader", "all", "none"].includes(ACKS)) throw new RangeError(`--acks ${ACKS}`);
if (!["none", "gzip"].includes(COMPRESSION)) throw new RangeError(`--compression ${COMPRESSION}`);
const fractions = String(values["e2e-fraction"]).split(",").map(Number);
if (fractions.some((f) => !(f > 0 && f <= 2))) {
  throw new RangeError(`--e2e-fraction ${values["e2e-fraction"]}: fractions of the solo rate`);
}
const E2E_WORKERS = Number(values["e2e-workers"]);
if (!Number.isInteger(E2E_WORKERS) || E2E_WORKERS < 1) {
  throw new RangeError(`--e2e-workers ${values["e2e-workers"]}`);
}
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new RangeError(`--rounds ${values.rounds}`);

/** One configuration of the generator: workers × senders per worker (× sends in flight). */
interface GeneratorConfig {
  workers: number;
  senders: number;
  inFlight: number | null;
  /** `loadtest` without `--workers`, `--senders-per-worker` and `--in-flight`. */
  isDefault?: boolean;
}

function parseConfig(text: string): GeneratorConfig {
  if (text.trim() === "default") {
    return { workers: defaultWorkers(), senders: 4, inFlight: null, isDefault: true };
  }
  const parts = text.trim().split("x").map(Number);
  if (
    parts.length < 2 || parts.length > 3 || !parts.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    throw new RangeError(
      `--configs: "${text}" is not "default" or workers x senders[x in-flight], e.g. 4x4 or 1x1x2`,
    );
  }
  return { workers: parts[0], senders: parts[1], inFlight: parts[2] ?? null };
}
const CONFIGS = String(values.configs).split(",").map(parseConfig);
if (values["skip-scaling"]) CONFIGS.splice(1);
const JAVA_ACKS = { leader: "1", all: "all", none: "0" }[ACKS];

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const external = values.brokers ?? Deno.env.get("KAFKA_BROKERS");
await using broker = external ? undefined : await startBroker({
  onProgress: (line) => console.error(`bench: ${line}`),
});
const brokers = external ?? broker!.brokers;
const client = new KafkaClient({ brokers, clientId: "clickstream-bench" });
const work = await Deno.makeTempDir({ prefix: "clickstream-bench-" });

/** How a configuration reads in the table. */
function configName({ workers, senders, inFlight, isDefault }: GeneratorConfig): string {
  if (isDefault) {
    return `${workers} worker(s) × ${senders} senders (the default on ${navigator.hardwareConcurrency} cores)`;
  }
  return `${workers} worker(s) × ${senders} senders${
    inFlight === null ? "" : ` × ${inFlight} in flight`
  }`;
}

interface Row {
  name: string;
  events: number;
  meanBytes: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  cpuSeconds: number;
  brokerCpuSeconds: number | null;
  maxRssMb: number;
}

function brokerCpu(): number | null {
  const pid = broker?.pid;
  return pid === undefined ? null : processCpu(pid);
}

function parseTime(path: string): { cpu: number; rssMb: number } {
  const m = /CPU (\S+) (\S+) RSS (\d+)/.exec(Deno.readTextFileSync(path));
  if (!m) throw new Error(`no /usr/bin/time output in ${path}`);
  return { cpu: Number(m[1]) + Number(m[2]), rssMb: Number(m[3]) / 1024 };
}

async function freshTopic(name: string): Promise<string> {
  const topic = `bench-${name}-${crypto.randomUUID().slice(0, 8)}`;
  await using admin = await KafkaAdmin.connect(client);
  await admin.ensureTopic(topic, { partitions: PARTITIONS });
  return topic;
}

async function dropTopic(topic: string): Promise<void> {
  await using admin = await KafkaAdmin.connect(client);
  await admin.deleteTopics([topic]);
}

async function generator(config: GeneratorConfig): Promise<Row> {
  const { workers, senders, inFlight, isDefault } = config;
  const topic = await freshTopic(`gen${workers}`);
  const timeFile = `${work}/time-gen-${workers}.txt`;
  const b0 = brokerCpu();
  const out = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "CPU %U %S RSS %M",
      "-o",
      timeFile,
      Deno.execPath(),
      "run",
      "-A",
      MAIN,
      "loadtest",
      "--brokers",
      brokers,
      "--topic",
      topic,
      "--events",
      String(EVENTS),
      ...(isDefault ? [] : [
        "--workers",
        String(workers),
        "--senders-per-worker",
        String(senders),
        ...(inFlight === null ? [] : ["--in-flight", String(inFlight)]),
      ]),
      "--acks",
      ACKS,
      "--compression",
      COMPRESSION,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const b1 = brokerCpu();
  const text = new TextDecoder().decode(out.stdout);
  await dropTopic(topic);
  if (!out.success) {
    throw new Error(`loadtest failed:\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  const m = /events\/s, ([\d.]+) MB\/s, mean record ([\d.]+) bytes/.exec(text);
  const e = /^ {2}([\d,]+) events\/s/m.exec(text);
  if (!m || !e) throw new Error(`cannot read the loadtest summary:\n${text}`);
  const { cpu, rssMb } = parseTime(timeFile);
  return {
    name: `clickstream loadtest, ${configName(config)}`,
    events: EVENTS,
    meanBytes: Number(m[2]),
    eventsPerSecond: Number(e[1].replaceAll(",", "")),
    mbPerSecond: Number(m[1]),
    cpuSeconds: cpu,
    brokerCpuSeconds: b0 === null || b1 === null ? null : b1 - b0,
    maxRssMb: rssMb,
  };
}

async function producerPerformance(
  payloadFile: string,
  meanBytes: number,
  extraProps: string[] = [],
): Promise<Row> {
  const topic = await freshTopic("perf");
  const timeFile = `${work}/time-perf.txt`;
  const wrapper = `${work}/java-timed.sh`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexec /usr/bin/time -f "CPU %U %S RSS %M" -o '${timeFile}' java "$@"\n`,
  );
  await Deno.chmod(wrapper, 0o755);
  const b0 = brokerCpu();
  const result = await kafkaTool(KAFKA_TOOLS.producerPerformance, [
    "--topic",
    topic,
    "--num-records",
    String(EVENTS),
    "--payload-file",
    payloadFile,
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${brokers}`,
    `acks=${JAVA_ACKS}`,
    `compression.type=${COMPRESSION}`,
    ...(ACKS === "all" ? ["enable.idempotence=true"] : ["enable.idempotence=false"]),
    ...extraProps,
  ], { java: wrapper, timeoutMs: 300_000, heap: "1g" });
  const b1 = brokerCpu();
  await dropTopic(topic);
  if (!result.success) {
    throw new Error(
      `ProducerPerformance failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  // "2000000 records sent, 412345.6 records/sec (44.12 MB/sec), ..."
  // It prints such a line every 5 s; the last one is the summary of the whole run.
  const m = [
    ...result.stdout.matchAll(/(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/g),
  ]
    .at(-1);
  if (!m) throw new Error(`cannot read ProducerPerformance's summary:\n${result.stdout}`);
  const { cpu, rssMb } = parseTime(timeFile);
  const eventsPerSecond = Number(m[2]);
  return {
    name: `Kafka ProducerPerformance${
      extraProps.length ? `, ${extraProps.join(" ")}` : " (defaults)"
    }`,
    events: Number(m[1]),
    meanBytes,
    eventsPerSecond,
    // Its MB/sec is MiB/s of payload: recompute in MB/s (10^6) as the generator reports.
    mbPerSecond: (eventsPerSecond * meanBytes) / 1e6,
    cpuSeconds: cpu,
    brokerCpuSeconds: b0 === null || b1 === null ? null : b1 - b0,
    maxRssMb: rssMb,
  };
}

/**
 * The table of every row's runs: median events/s, MB/s, CPU and broker CPU per million events
 * and RSS over the rounds, and the ratio to ProducerPerformance (defaults) of the same round,
 * per round and their median.
 */
function table(runs: Map<string, Row[]>, reference: Row[]): string {
  const header = [
    "run",
    "bytes/rec",
    "events/s (median)",
    "MB/s",
    "CPU s/M ev",
    "broker CPU s/M ev",
    "max RSS MB",
    "vs ProducerPerf, per round",
    "median",
  ];
  const perM = (r: Row, cpu: number) => (cpu / r.events) * 1e6;
  const body = [...runs].map(([name, rows]) => {
    const ratios = rows.map((r, i) => r.eventsPerSecond / reference[i].eventsPerSecond);
    const brokers = rows.filter((r) => r.brokerCpuSeconds !== null);
    return [
      name,
      rows[0].meanBytes.toFixed(1),
      formatCount(median(rows.map((r) => r.eventsPerSecond))),
      median(rows.map((r) => r.mbPerSecond)).toFixed(1),
      median(rows.map((r) => perM(r, r.cpuSeconds))).toFixed(2),
      brokers.length === 0
        ? "n/a"
        : median(brokers.map((r) => perM(r, r.brokerCpuSeconds!))).toFixed(2),
      median(rows.map((r) => r.maxRssMb)).toFixed(0),
      ratios.map((x) => x.toFixed(2)).join(", "),
      median(ratios).toFixed(2),
    ];
  });
  return markdown(header, body);
}

/** `clickstream loadtest` onto `topic` of the bench's broker, stdout piped. */
function loadtestCommand(topic: string, ...flags: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "loadtest", "--brokers", brokers, "--topic", topic, ...flags],
    stdout: "piped",
  });
}

/**
 * A trainer subprocess (the tests' `spawnTrain`) whose batch reports are followed line by line;
 * its stderr is echoed.
 */
function startTrainerProcess(topic: string, stateDir: string) {
  const state = { trained: 0, lastReportAt: 0, serving: false };
  const reports: { at: number; trained: number }[] = [];
  const train = spawnTrain(brokers, topic, {
    stateDir,
    group: `bench-${crypto.randomUUID().slice(0, 8)}`,
    args: ["--trigger", String(values["e2e-trigger"]), "--starting-offsets", "earliest"],
    onLine: (line, stream) => {
      if (stream === "stderr") {
        console.error(line);
        return;
      }
      if (line.startsWith("serving ")) state.serving = true;
      const m = /events trained: ([\d,]+)/.exec(line);
      if (m) {
        state.trained = Number(m[1].replaceAll(",", ""));
        state.lastReportAt = performance.now();
        reports.push({ at: state.lastReportAt, trained: state.trained });
      }
    },
  });
  return {
    state,
    reports,
    pid: train.pid,
    async stop() {
      await train.stop("SIGINT");
    },
  };
}

async function endOffset(topic: string): Promise<number> {
  await using admin = await KafkaAdmin.connect(client);
  return (await admin.topicOffsets(topic)).reduce((s, p) => s + p.high, 0);
}

async function endToEnd(): Promise<void> {
  const prefill = Number(values["e2e-prefill"]);
  const seconds = Number(values["e2e-seconds"]);
  const stateRoot = `${work}/state`;
  // 1. The trainer alone on a pre-filled topic.
  const solo = await freshTopic("e2e-solo");
  const fill = await loadtestCommand(solo, "--events", String(prefill), "--workers", "2")
    .output();
  if (!fill.success) throw new Error("pre-filling the topic failed");
  console.error(`bench: e2e: ${formatCount(prefill)} events pre-filled; the trainer alone ...`);
  const alone = startTrainerProcess(solo, `${stateRoot}-solo`);
  const deadline = performance.now() + 300_000;
  while (alone.state.trained < prefill && performance.now() < deadline) await sleep(100);
  await alone.stop();
  await dropTopic(solo);
  const r = alone.reports;
  if (r.length < 2 || r[r.length - 1].trained < prefill) {
    throw new Error(`the trainer trained ${alone.state.trained} of ${prefill} events in 300 s`);
  }
  // From the end of the first batch to the end of the last: start-up and group join excluded.
  const soloRate = (r[r.length - 1].trained - r[0].trained) /
    ((r[r.length - 1].at - r[0].at) / 1000);
  console.error(`bench: e2e: solo ${formatCount(soloRate)} events/s`);

  // 2. The generator at each fraction of that while a fresh trainer consumes.
  const runs: LiveRun[] = [];
  for (const fraction of fractions) {
    const rate = Math.floor(soloRate * fraction);
    console.error(
      `bench: e2e: generator at ${formatCount(rate)}/s (${
        Math.round(fraction * 100)
      } % of solo) for ${seconds} s ...`,
    );
    runs.push(await liveRun(fraction, rate, seconds, `${stateRoot}-live-${fraction}`));
  }

  console.log(
    `\nend to end (trigger ${values["e2e-trigger"]}, 1 partition, generator with ${E2E_WORKERS} ` +
      `worker(s)): the trainer alone on ${formatCount(prefill)} pre-filled events learns ${
        formatCount(soloRate)
      } events/s (first to last batch).\n`,
  );
  const head = [
    "generator target",
    "reached",
    "mean lag",
    "max lag",
    "max lag, last third",
    "drained after stop",
    "cores: trainer / generator / broker",
  ];
  const body = runs.map((r) => [
    `${formatCount(r.rate)}/s (${Math.round(r.fraction * 100)} %)`,
    `${r.reached}/s`,
    formatCount(r.meanLag),
    formatCount(r.maxLag),
    formatCount(r.lastThirdMaxLag),
    r.drainMs === null
      ? "not in 120 s"
      : r.drainMs === 0
      ? "before the generator exited"
      : `${(r.drainMs / 1000).toFixed(2)} s`,
    `${r.cores.trainer.toFixed(2)} / ${r.cores.generator.toFixed(2)} / ${
      r.cores.broker === null ? "?" : r.cores.broker.toFixed(2)
    }`,
  ]);
  console.log(markdown(head, body));
  for (const r of runs) {
    console.log(`lag every 5 s at ${Math.round(r.fraction * 100)} %: ${r.series}`);
  }
}

interface LiveRun {
  fraction: number;
  rate: number;
  reached: string;
  meanLag: number;
  maxLag: number;
  lastThirdMaxLag: number;
  /** From the generator's exit to the batch that trained the last event; null if not drained. */
  drainMs: number | null;
  /** CPU seconds per wall second while the generator ran. */
  cores: { trainer: number; generator: number; broker: number | null };
  series: string;
}

/** The generator at `rate` for `seconds` on a fresh topic while a fresh trainer consumes it. */
async function liveRun(
  fraction: number,
  rate: number,
  seconds: number,
  stateDir: string,
): Promise<LiveRun> {
  const live = await freshTopic("e2e-live");
  const trainer = startTrainerProcess(live, stateDir);
  const deadline = performance.now() + 120_000;
  while (!trainer.state.serving && performance.now() < deadline) await sleep(100);
  await sleep(2000); // group join
  const lags: { at: number; lag: number }[] = [];
  const t0 = performance.now();
  const trainerCpu0 = processCpu(trainer.pid);
  const brokerCpu0 = brokerCpu();
  const gen = loadtestCommand(
    live,
    "--duration",
    `${seconds}s`,
    "--rate",
    String(rate),
    "--workers",
    String(E2E_WORKERS),
  ).spawn();
  let genDone = false;
  let genCpu = 0;
  const genOut = gen.output().then((o) => {
    genDone = true;
    return new TextDecoder().decode(o.stdout);
  });
  let trainerCpu1 = trainerCpu0;
  let brokerCpu1 = brokerCpu0;
  while (!genDone) {
    lags.push({
      at: (performance.now() - t0) / 1000,
      lag: (await endOffset(live)) - trainer.state.trained,
    });
    try {
      genCpu = processCpu(gen.pid); // the last reading before it exits
      trainerCpu1 = processCpu(trainer.pid);
      brokerCpu1 = brokerCpu();
    } catch { /* exited between the check and the read */ }
    await sleep(500);
  }
  const wall = (performance.now() - t0) / 1000;
  const genText = await genOut;
  const stoppedAt = performance.now();
  const total = await endOffset(live);
  while (trainer.state.trained < total && performance.now() - stoppedAt < 120_000) await sleep(50);
  const drained = trainer.state.trained >= total;
  const drainMs = Math.max(0, trainer.state.lastReportAt - stoppedAt);
  await trainer.stop();
  await dropTopic(live);
  const during = lags.filter((l) => l.at > 5); // after the first seconds of start-up
  const lastThird = during.slice(Math.floor((during.length * 2) / 3));
  return {
    fraction,
    rate,
    reached: /^ {2}([\d,]+) events\/s/m.exec(genText)?.[1] ?? "?",
    meanLag: during.reduce((s, l) => s + l.lag, 0) / Math.max(1, during.length),
    maxLag: Math.max(...during.map((l) => l.lag)),
    lastThirdMaxLag: Math.max(...lastThird.map((l) => l.lag)),
    drainMs: drained ? drainMs : null,
    cores: {
      trainer: (trainerCpu1 - trainerCpu0) / wall,
      generator: genCpu / wall,
      broker: brokerCpu0 === null || brokerCpu1 === null ? null : (brokerCpu1 - brokerCpu0) / wall,
    },
    series: during.filter((_, i) => i % 10 === 0).map((l) =>
      `${l.at.toFixed(0)}s ${formatCount(l.lag)}`
    ).join(", "),
  };
}

if (values.e2e) {
  try {
    await endToEnd();
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
} else {
  await race();
}

async function race(): Promise<void> {
  try {
    // The generator's own events as ProducerPerformance's payloads (one JSON per line).
    const gen = new SessionGenerator({ seed: 1, clock: () => Math.floor(Date.now() / 1000) });
    const lines = Array.from({ length: 20_000 }, () => eventJson(gen.next()));
    const payloadFile = `${work}/payloads.txt`;
    await Deno.writeTextFile(payloadFile, lines.join("\n"));
    const meanBytes = lines.reduce((s, l) => s + l.length, 0) / lines.length;

    console.log(
      `bench:loadtest — ${
        formatCount(EVENTS)
      } events per run, acks ${ACKS}, compression ${COMPRESSION}, ` +
        `${PARTITIONS} partition(s), broker ${brokers}${
          external ? " (external)" : " (started here)"
        }, ` +
        `${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}`,
    );
    const runs = new Map<string, Row[]>();
    const loads: number[] = [];
    const run = async (label: string, f: () => Promise<Row>): Promise<Row> => {
      const load = Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
      loads.push(load);
      console.error(`bench: ${label} (load average ${load.toFixed(2)}) ...`);
      const row = await f();
      console.error(
        `bench:   ${formatCount(row.eventsPerSecond)} events/s, CPU ${
          row.cpuSeconds.toFixed(1)
        } s (${((row.cpuSeconds / row.events) * 1e6).toFixed(2)} s/M events)`,
      );
      if (!runs.has(row.name)) runs.set(row.name, []);
      runs.get(row.name)!.push(row);
      return row;
    };
    const reference: Row[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const tag = `round ${round}/${ROUNDS}:`;
      reference.push(
        await run(`${tag} ProducerPerformance`, () => producerPerformance(payloadFile, meanBytes)),
      );
      for (const config of CONFIGS) {
        await run(`${tag} clickstream loadtest, ${configName(config)}`, () => generator(config));
      }
      if (!values["skip-big-batches"]) {
        // The Java client batching as much per request as the generator does (1000 records).
        await run(
          `${tag} ProducerPerformance, batch.size 131072`,
          () => producerPerformance(payloadFile, meanBytes, ["batch.size=131072", "linger.ms=5"]),
        );
      }
    }
    const perf = runs.get(reference[0].name)!;
    runs.delete(reference[0].name);
    console.log(table(new Map([[reference[0].name, perf], ...runs]), perf));
    console.log(
      `${ROUNDS} round(s), each ProducerPerformance then the generator's configurations; ` +
        `load average before the runs ${Math.min(...loads).toFixed(2)}–${
          Math.max(...loads).toFixed(2)
        } (median ${median(loads).toFixed(2)}).`,
    );
    console.log(
      "CPU s/M ev: user + system CPU seconds of the process per million events (/usr/bin/time; " +
        "the Deno process with its workers, or the JVM with start-up); broker: the broker JVM " +
        "over the same run (/proc/<pid>/stat). Each column is the median over the rounds; the " +
        "ratio is events/s against ProducerPerformance (defaults) of the same round.",
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
