/**
 * Runs `train` — and the scale-out pair, `featurize` and `learn` — as the user runs them: a
 * subprocess of `src/main.ts`, for tests that stop, crash and restart them: captures the output
 * (and hands over each line as it comes, if asked), polls `/weights`, stops it with a signal,
 * kills it with its children. The one way tests and benchmarks start these processes:
 * `bench/loadtest.ts` (`--e2e`) and `bench/drift_kafka.ts` import it from here too, so it
 * imports nothing test-only.
 *
 * ```ts
 * const train = spawnTrain(brokers, topic, { stateDir, group: uniqueGroup() });
 * const w = await waitForWeights(train, (w) => w.events_trained >= 1000);
 * const exit = await train.stop("SIGINT");
 * ```
 *
 * @module
 */

import { freePort } from "../../dev/kafka/broker.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { EventProducer, type RawRecord } from "../../src/kafka/producer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { encodeEvent } from "../../src/events/schema.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** The parts of `/weights` the tests read. */
export interface WeightsBody {
  /** The feature set's name. */
  feature_set: string;
  events_trained: number;
  skipped_records: number;
  batches: number;
  last_batch_id: number;
  weights: Record<string, number>;
  intercept: number;
  updates: number;
  lag: number | null;
  bad_records: Record<string, number>;
  checkpoint: { batch_id: number; age_seconds: number } | null;
  /** Per input partition: events learnt and the next offset covered. */
  sources?: { partition: number; events_trained: number | null; next_offset: number }[];
  /** `learn` only: the feature-log offset the model has consumed up to. */
  model_version?: number;
  metrics: {
    cumulative: WindowMetrics;
    rolling: WindowMetrics;
  };
}

/** One metrics window of `/weights`. */
export interface WindowMetrics {
  events: number;
  log_loss: number;
  constant_log_loss: number;
  auc: number;
}

/** How a process ended. */
export interface TrainExit {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** A running subprocess of the program. */
export interface ProgramProcess {
  readonly pid: number;
  /** Output so far. */
  output(): string;
  /** Resolves when the process ends, with its output. */
  readonly exited: Promise<TrainExit>;
  /** Sends `signal` and waits for the end. */
  stop(signal?: Deno.Signal): Promise<TrainExit>;
}

/** A running `train` (or `learn`) subprocess, with its HTTP server. */
export interface TrainProcess extends ProgramProcess {
  readonly url: string;
}

/** How to run a subprocess of the program. */
export interface SpawnOptions {
  /** Extra flags. Default: none. */
  args?: string[];
  /** Extra environment. Default: none. */
  env?: Record<string, string>;
  /**
   * Start it as `deno task train …` from the repository root, as a user or a supervisor does:
   * then `pid` is the task runner's, whose child `deno run` is the trainer. Default: `false`
   * (`deno run src/main.ts train …`, the trainer itself). Not with `denoFlags`.
   */
  viaTask?: boolean;
  /**
   * The flags of `deno run` before the program: its permissions (e.g. `--allow-read=<dir>`
   * instead of all, with `--no-prompt`). Default: `["-A"]`.
   */
  denoFlags?: string[];
  /** Called with each complete line of output as it arrives (without the newline). Default: none. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

/** Options of {@linkcode spawnTrain}. */
export interface SpawnTrainOptions extends SpawnOptions {
  stateDir: string;
  group: string;
}

/** Options of {@linkcode spawnLearn}. */
export interface SpawnLearnOptions extends SpawnOptions {
  stateDir: string;
  /** The replica's group. Default: derived by `learn` from its state directory. */
  group?: string;
}

/** Starts `train <topic>` on a free HTTP port. */
export function spawnTrain(
  brokers: string,
  topic: string,
  options: SpawnTrainOptions,
): TrainProcess {
  const port = freePort();
  const flags = ["--group", options.group, "--http", `127.0.0.1:${port}`];
  const child = spawnProgram(
    "train",
    brokers,
    [topic, ...flags, "--state-dir", options.stateDir],
    options,
  );
  return { ...child, url: `http://127.0.0.1:${port}` };
}

/** Starts `learn <topic>` (a replica of the feature log) on a free HTTP port. */
export function spawnLearn(
  brokers: string,
  topic: string,
  options: SpawnLearnOptions,
): TrainProcess {
  const port = freePort();
  const group = options.group === undefined ? [] : ["--group", options.group];
  const flags = [...group, "--http", `127.0.0.1:${port}`, "--state-dir", options.stateDir];
  const child = spawnProgram("learn", brokers, [topic, ...flags], options);
  return { ...child, url: `http://127.0.0.1:${port}` };
}

/** Starts `featurize <topic>` in consumer group `group`, `/metrics` on a free HTTP port. */
export function spawnFeaturize(
  brokers: string,
  topic: string,
  group: string,
  options: SpawnOptions = {},
): TrainProcess {
  const port = freePort();
  const flags = [topic, "--group", group, "--http", `127.0.0.1:${port}`];
  return { ...spawnProgram("featurize", brokers, flags, options), url: `http://127.0.0.1:${port}` };
}

/** Starts `<command> <args…>` of the program with `KAFKA_BROKERS` set to `brokers`. */
export function spawnProgram(
  command: string,
  brokers: string,
  args: string[],
  options: SpawnOptions = {},
): ProgramProcess {
  if (options.viaTask && options.denoFlags) {
    throw new TypeError(
      "spawnProgram() cannot take denoFlags with viaTask: the task sets its own.",
    );
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...(options.viaTask
        ? ["task", command]
        : ["run", ...(options.denoFlags ?? ["-A"]), MAIN, command]),
      ...args,
      ...(options.args ?? []),
    ],
    env: { KAFKA_BROKERS: brokers, NO_COLOR: "1", ...options.env },
    cwd: options.viaTask ? ROOT : undefined,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const onLine = options.onLine;
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
    into: (s: string) => void,
  ) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      into(text);
      if (!onLine) continue;
      const lines = (rest + text).split("\n");
      rest = lines.pop()!;
      for (const line of lines) onLine(line, name);
    }
    if (onLine && rest !== "") onLine(rest, name);
  };
  const pumps = Promise.all([
    pump(child.stdout, "stdout", (s) => out += s),
    pump(child.stderr, "stderr", (s) => err += s),
  ]);
  const exited = (async () => {
    const status = await child.status;
    await pumps;
    return { code: status.code, signal: status.signal, stdout: out, stderr: err };
  })();
  return {
    pid: child.pid,
    output: () => out + err,
    exited,
    async stop(signal: Deno.Signal = "SIGINT") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return await exited;
    },
  };
}

/** Reads `/weights` once, or `undefined` when the server does not answer. */
export async function readWeights(url: string): Promise<WeightsBody | undefined> {
  try {
    const response = await fetch(`${url}/weights`);
    return await response.json() as WeightsBody;
  } catch {
    return undefined;
  }
}

/**
 * Polls `/weights` until `done` holds; fails early when the process exits, and at the deadline.
 */
export async function waitForWeights(
  train: TrainProcess,
  done: (w: WeightsBody) => boolean,
  timeoutMs = 120_000,
): Promise<WeightsBody> {
  const deadline = Date.now() + timeoutMs;
  let last: WeightsBody | undefined;
  let ended = false;
  train.exited.then(() => ended = true);
  while (Date.now() < deadline) {
    last = await readWeights(train.url) ?? last;
    if (last && done(last)) return last;
    if (ended) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${ended ? "train exited" : "timed out"} waiting for /weights; last: ${
      JSON.stringify(last)?.slice(0, 300)
    }\n--- output ---\n${train.output().slice(-3000)}`,
  );
}

/** Writes `n` events of the seeded generator to `topic` (created with one partition). */
export async function fillTopic(brokers: string, topic: string, n: number, seed: number) {
  const client = new KafkaClient({ brokers });
  await using admin = await KafkaAdmin.connect(client);
  await admin.ensureTopic(topic);
  await using producer = await EventProducer.connect(client, { topic, acks: "all" });
  const generator = new SessionGenerator({ seed });
  for (let sent = 0; sent < n; sent += 10_000) {
    const count = Math.min(10_000, n - sent);
    await producer.send(Array.from({ length: count }, () => generator.next()));
  }
}

/** Bad records {@linkcode fillPartitions} mixes in, each with the reason it is dead-lettered. */
const BAD_RECORDS: readonly { value: string; reason: string }[] = [
  { value: "not json at all", reason: "not_json" },
  {
    value: '{"user_id":1,"url":"/x","action":"fly","session_id":"s","timestamp":1764000000}',
    reason: "unknown_action",
  },
  { value: "[1,2,3]", reason: "not_object" },
];

/** What {@linkcode fillPartitions} wrote to each partition. */
export interface PartitionFill {
  /** Valid events per partition. */
  valid: number[];
  /** Bad records per partition. */
  bad: number[];
  /** Bad records by the reason they are dead-lettered for. */
  badByReason: Record<string, number>;
}

/** Options of {@linkcode fillPartitions}. */
export interface FillPartitionsOptions {
  /** Records to write. */
  n: number;
  /** The generator's seed. */
  seed: number;
  /** Partitions of the topic. */
  partitions: number;
  /** Every `badEvery`-th record is a bad one. Default: none. */
  badEvery?: number;
  /** A pause after each 10 000 records, ms (a live feed). Default: none. */
  pauseMs?: number;
}

/**
 * Writes `n` records to `topic`, created with `partitions` partitions: the seeded generator's
 * events, each session's on one partition, with every `badEvery`-th record (if given) a bad one
 * instead (of several reasons). Says what went to each partition.
 */
export async function fillPartitions(
  brokers: string,
  topic: string,
  options: FillPartitionsOptions,
): Promise<PartitionFill> {
  const { n, partitions } = options;
  const client = new KafkaClient({ brokers });
  await using admin = await KafkaAdmin.connect(client);
  await admin.ensureTopic(topic, { partitions });
  await using producer = await EventProducer.connect(client, { topic, acks: "all" });
  const generator = new SessionGenerator({ seed: options.seed });
  const fill: PartitionFill = {
    valid: new Array(partitions).fill(0),
    bad: new Array(partitions).fill(0),
    badByReason: {},
  };
  const home = new Map<string, number>();
  let chunk: RawRecord[] = [];
  for (let i = 0; i < n; i++) {
    if (options.badEvery !== undefined && i % options.badEvery === options.badEvery - 1) {
      const bad = BAD_RECORDS[i % BAD_RECORDS.length];
      const partition = i % partitions;
      chunk.push({ value: bad.value, partition });
      fill.bad[partition]++;
      fill.badByReason[bad.reason] = (fill.badByReason[bad.reason] ?? 0) + 1;
    } else {
      const event = generator.next();
      let partition = home.get(event.session_id);
      if (partition === undefined) home.set(event.session_id, partition = home.size % partitions);
      chunk.push({ key: event.session_id, value: encodeEvent(event), partition });
      fill.valid[partition]++;
    }
    if (chunk.length === 10_000 || i === n - 1) {
      await producer.sendRaw(chunk);
      chunk = [];
      if (options.pauseMs && i < n - 1) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  }
  return fill;
}

/** The sum of two fills of one topic. */
export function addFills(a: PartitionFill, b: PartitionFill): PartitionFill {
  const badByReason = { ...a.badByReason };
  for (const [reason, n] of Object.entries(b.badByReason)) {
    badByReason[reason] = (badByReason[reason] ?? 0) + n;
  }
  return {
    valid: a.valid.map((v, p) => v + b.valid[p]),
    bad: a.bad.map((v, p) => v + b.bad[p]),
    badByReason,
  };
}

/** The child processes of `pid`, from `/proc/<pid>/task/<tid>/children`. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) children.push(...text.split(/\s+/).map(Number));
    }
  } catch { /* gone */ }
  return children;
}

/**
 * Waits until `pid` (a `deno task` process) has a child — the program it runs — polling every
 * 100 ms; throws, naming the pid, when `pid` is gone or `timeoutMs` passes first. Under a heavy
 * load a task can take seconds to start its program, and killing it before that kills no program.
 */
export async function waitForChild(pid: number, timeoutMs: number): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const children = childrenOf(pid);
    if (children.length > 0) return children;
    let gone = false;
    try {
      Deno.statSync(`/proc/${pid}`);
    } catch {
      gone = true;
    }
    if (gone) throw new Error(`Process ${pid} exited before it started its program.`);
    if (performance.now() > deadline) {
      throw new Error(`Process ${pid} has started no program after ${timeoutMs} ms.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills `pid` and its children (and theirs) with SIGKILL at once, as a supervisor does. */
export function killTree(pid: number): number[] {
  const pids: number[] = [];
  const walk = (p: number) => {
    pids.push(p);
    for (const child of childrenOf(p)) walk(child);
  };
  walk(pid);
  for (const p of pids) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch { /* already gone */ }
  }
  return pids;
}

/** Deletes topics (cleanup). */
export async function dropTopics(brokers: string, ...topics: string[]) {
  await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
  await admin.deleteTopics(topics);
}
