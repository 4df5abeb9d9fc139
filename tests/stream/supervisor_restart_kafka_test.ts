/**
 * A supervisor's restart right after a kill, on the real broker: the trainer is started as a user
 * starts it, `deno task train …` (a task runner whose child `deno run` is the trainer), on one
 * partition fed live at a steady pace; three times, at random moments, both processes are killed
 * with SIGKILL and the trainer is started again one second later, without waiting on the killed
 * processes (they are reaped at the end). The killed trainer, reparented to PID 1, stays a zombie
 * until PID 1 reaps it; the restarted one must take its lock over (not refuse "The state directory
 * is in use"), and the run must end with `events_trained` = N (all events sent) and weights
 * bitwise identical to an uninterrupted run over the same input. Each kill prints what the killed
 * trainer was one second later and what the new one logged about the lock (how long it waited,
 * why it took the lock over).
 *
 * The kill moments come from a seeded {@linkcode Random}; the seed is printed and
 * `CLICKSTREAM_TEST_SEED` repeats a run.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { testSeed } from "../_helpers/seed.ts";
import {
  childrenOf,
  dropTopics,
  spawnTrain,
  type TrainProcess,
  waitForWeights,
  type WeightsBody,
} from "../_helpers/train_process.ts";
import { Random } from "../../src/util/random.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { EventProducer } from "../../src/kafka/producer.ts";

const brokers = await testBrokers();
const N = 40_000;
const KILLS = 3;
/** The live feed: CHUNK events every PACE_MS (N in about 16 s), so that every kill falls mid-stream. */
const CHUNK = 1000;
const PACE_MS = 400;
const topic = uniqueTopic("supervisor-restart");

/** Small batches and a checkpoint after each, so that a kill can fall anywhere in a batch. */
const FAST = ["--trigger", "100ms", "--max-batch-events", "4000", "--checkpoint-interval", "0s"];

function model(w: WeightsBody) {
  return { weights: w.weights, intercept: w.intercept, updates: w.updates };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What `/proc` shows of `pid` right now: state and parent of each thread, or "gone". */
function procState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const threads = [...Deno.readDirSync(`/proc/${pid}/task`)].map((t) => {
      try {
        const s = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`);
        return s.slice(s.lastIndexOf(")") + 2)[0];
      } catch {
        return "-";
      }
    });
    return `state ${state}, parent ${ppid}, threads ${threads.join("")}`;
  } catch {
    return "gone";
  }
}

/** Waits (bounded) until the output of `train` has a line matching `pattern`; returns those lines. */
async function linesOf(train: TrainProcess, pattern: RegExp, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = train.output().split("\n").filter((line) => pattern.test(line));
    if (lines.length > 0 || Date.now() > deadline) return lines;
    await sleep(50);
  }
}

/** Writes N events of the seeded generator to `topic` (one partition), CHUNK every PACE_MS. */
async function feed(progress: { sent: number }) {
  const client = new KafkaClient({ brokers });
  await using producer = await EventProducer.connect(client, { topic, acks: "all" });
  const generator = new SessionGenerator({ seed: 23 });
  while (progress.sent < N) {
    const count = Math.min(CHUNK, N - progress.sent);
    await producer.send(Array.from({ length: count }, () => generator.next()));
    progress.sent += count;
    if (progress.sent < N) await sleep(PACE_MS);
  }
}

/** Both processes of a `deno task train` tree, killed at once as a supervisor does. */
function killTree(task: TrainProcess, trainer: number) {
  for (const pid of [task.pid, trainer]) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* already gone */ }
  }
}

Deno.test({
  name:
    "a deno task train tree killed with SIGKILL and restarted 1 s later takes the lock over, exactly once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const seed = testSeed("supervisor restart: SIGKILL moments");
    const random = new Random(seed);
    const running: TrainProcess[] = [];
    let feeding: Promise<void> | undefined;
    {
      await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
      await admin.ensureTopic(topic);
    }
    try {
      let supervised: ReturnType<typeof model> | undefined;
      await t.step(`${KILLS} kills of the whole tree, each restarted 1 s later`, async () => {
        const dir = await Deno.makeTempDir({ prefix: "supervisor-" });
        const group = uniqueGroup();
        const start = () => {
          const train = spawnTrain(brokers, topic, {
            stateDir: dir,
            group,
            args: FAST,
            viaTask: true,
          });
          running.push(train);
          return train;
        };
        const progress = { sent: 0 };
        feeding = feed(progress);
        feeding.catch(() => {}); // awaited below; this only keeps a failure from going unhandled
        const killed: TrainProcess[] = [];
        let train = start();
        for (let i = 1; i <= KILLS; i++) {
          await waitForWeights(train, () => true);
          await sleep(200 + random.nextInt(1500));
          const trained = (await waitForWeights(train, () => true)).events_trained;
          const trainers = childrenOf(train.pid);
          assert.equal(trainers.length, 1, `children of the task process: ${trainers}`);
          const trainer = trainers[0];
          killTree(train, trainer);
          const sent = progress.sent;
          killed.push(train);
          await sleep(1000);
          const atRestart = procState(trainer);
          train = start();
          await waitForWeights(train, () => true);
          await linesOf(train, /^took over the stale lock/);
          const lockLines = train.output().split("\n").filter((line) =>
            /^(waited .* for the lock|took over the stale lock)/.test(line)
          );
          if (!lockLines.some((line) => line.startsWith("waited"))) {
            lockLines.unshift("(no wait: the lock was taken at the first look)");
          }
          console.log(
            `kill ${i}: task ${
              killed[i - 1].pid
            } and trainer ${trainer} killed at about ${trained} events trained, ${sent} sent; ` +
              `1 s later the trainer was: ${atRestart}; the restarted trainer logged:\n  ${
                lockLines.join("\n  ")
              }`,
          );
          assert.ok(
            lockLines.some((line) =>
              line.startsWith(`took over the stale lock of process ${trainer} `)
            ),
            `the restart did not take over the lock of ${trainer}:\n${train.output().slice(-2000)}`,
          );
        }
        await feeding;
        const w = await waitForWeights(train, (w) => w.events_trained >= N && w.lag === 0);
        const exit = await train.stop("SIGINT");
        assert.equal(exit.code, 0, exit.stderr);
        // Reap the killed task processes only now.
        for (const k of killed) assert.equal((await k.exited).signal, "SIGKILL");
        assert.equal(w.events_trained, N);
        supervised = model(w);
        await Deno.remove(dir, { recursive: true });
      });

      await t.step("an uninterrupted run over the same input gives the same model", async () => {
        assert.ok(supervised, "the supervised run did not finish");
        const dir = await Deno.makeTempDir({ prefix: "supervisor-" });
        const train = spawnTrain(brokers, topic, {
          stateDir: dir,
          group: uniqueGroup(),
          args: FAST,
        });
        running.push(train);
        const w = await waitForWeights(train, (w) => w.events_trained >= N && w.lag === 0);
        const exit = await train.stop("SIGINT");
        assert.equal(exit.code, 0, exit.stderr);
        assert.equal(w.events_trained, N);
        assert.deepEqual(supervised, model(w));
        await Deno.remove(dir, { recursive: true });
      });
    } finally {
      for (const train of running) {
        try {
          for (const child of childrenOf(train.pid)) Deno.kill(child, "SIGKILL");
        } catch { /* already gone */ }
        await train.stop("SIGKILL");
      }
      await feeding?.catch(() => {});
      await dropTopics(brokers, topic);
    }
  },
});
