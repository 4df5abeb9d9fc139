/**
 * Runs `train` as the user runs it — a subprocess of `src/main.ts` — for tests that stop,
 * crash and restart it: captures its output (and hands over each line as it comes, if asked),
 * polls its `/weights`, stops it with a signal. The one way tests and benchmarks start a
 * trainer: `bench/loadtest.ts` (`--e2e`) and `bench/drift_kafka.ts` import it from here too, so
 * it imports nothing test-only.
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
import { EventProducer } from "../../src/kafka/producer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";

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

/** How a train process ended. */
export interface TrainExit {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** A running `train` subprocess. */
export interface TrainProcess {
  readonly url: string;
  readonly pid: number;
  /** Output so far. */
  output(): string;
  /** Resolves when the process ends, with its output. */
  readonly exited: Promise<TrainExit>;
  /** Sends `signal` and waits for the end. */
  stop(signal?: Deno.Signal): Promise<TrainExit>;
}

/** Options of {@linkcode spawnTrain}. */
export interface SpawnTrainOptions {
  stateDir: string;
  group: string;
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

/** Starts `train <topic>` on a free HTTP port. */
export function spawnTrain(
  brokers: string,
  topic: string,
  options: SpawnTrainOptions,
): TrainProcess {
  if (options.viaTask && options.denoFlags) {
    throw new TypeError("spawnTrain() cannot take denoFlags with viaTask: the task sets its own.");
  }
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...(options.viaTask
        ? ["task", "train"]
        : ["run", ...(options.denoFlags ?? ["-A"]), MAIN, "train"]),
      topic,
      "--group",
      options.group,
      "--http",
      `127.0.0.1:${port}`,
      "--state-dir",
      options.stateDir,
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
    url: `http://127.0.0.1:${port}`,
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

/** Deletes topics (cleanup). */
export async function dropTopics(brokers: string, ...topics: string[]) {
  await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
  await admin.deleteTopics(topics);
}
