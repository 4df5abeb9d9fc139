/**
 * The exactly-once suite of `train` (see `exactly_once_kafka_test.ts`), run with extra flags:
 * `exactly_once_kafka_test.ts` runs it as `train` is by default, and
 * `exactly_once_worker_kafka_test.ts` with the featurize stage in a Web Worker.
 *
 * @module
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import {
  dropTopics,
  fillTopic,
  readWeights,
  spawnTrain,
  type TrainProcess,
  waitForWeights,
  type WeightsBody,
} from "../_helpers/train_process.ts";
import { KAFKA_TOOLS, kafkaTool } from "../../dev/kafka/tools.ts";
import { CRASH_POINTS } from "../../src/stream/checkpoint.ts";
import { Random } from "../../src/util/random.ts";
import { testSeed } from "../_helpers/seed.ts";
import { withDeadline } from "../../src/util/deadline.ts";

const N = 60_000;

/** Small batches and a checkpoint after each, so every run has many steps to be cut in. */
const FAST = ["--trigger", "100ms", "--max-batch-events", "4000", "--checkpoint-interval", "0s"];

function model(w: WeightsBody) {
  return { weights: w.weights, intercept: w.intercept, updates: w.updates };
}

async function tempDir() {
  return await Deno.makeTempDir({ prefix: "exactly-once-" });
}

async function runToEnd(train: TrainProcess): Promise<WeightsBody> {
  const w = await waitForWeights(train, (w) => w.events_trained >= N && w.lag === 0);
  const exit = await train.stop("SIGINT");
  assert.equal(exit.code, 0, exit.stderr);
  return w;
}

/**
 * Registers the suite: `train` with `extra` flags after its own (`label` ends each test's name);
 * the uninterrupted reference run with `referenceExtra` (default `extra`). The topic of N events
 * is filled first.
 */
export async function exactlyOnceSuite(
  extra: string[],
  label = "",
  referenceExtra: string[] = extra,
): Promise<void> {
  const brokers = await testBrokers();
  const topic = uniqueTopic("exactly-once");
  await fillTopic(brokers, topic, N, 21);
  const fast = [...FAST, ...extra];
  let reference: ReturnType<typeof model>;

  Deno.test({
    name: `train ends with the same model after every kind of interruption${label}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      try {
        await t.step("an uninterrupted run gives the reference model", async () => {
          const dir = await tempDir();
          const w = await runToEnd(
            spawnTrain(brokers, topic, {
              stateDir: dir,
              group: uniqueGroup(),
              args: [...FAST, ...referenceExtra],
            }),
          );
          assert.equal(w.events_trained, N);
          reference = model(w);
          await Deno.remove(dir, { recursive: true });
        });

        for (const point of CRASH_POINTS) {
          await t.step(`a crash ${point} then a restart`, async () => {
            const dir = await tempDir();
            const group = uniqueGroup();
            // A checkpoint after every batch here (the last --checkpoint-interval wins), so that
            // the third is always reached: with a throttled interval a fast run of the N events
            // may write only two before the input is caught up, and then never crash.
            const crashed = spawnTrain(brokers, topic, {
              stateDir: dir,
              group,
              args: [...fast, "--checkpoint-interval", "0s"],
              env: { CLICKSTREAM_CRASH_AT: point, CLICKSTREAM_CRASH_AFTER: "3" },
            });
            // A hang guard, not a speed check.
            const exit = await withDeadline(crashed.exited, 120_000, {
              what: `train's crash at ${point}`,
            }).catch(async (error) => {
              await crashed.stop("SIGKILL");
              throw error;
            });
            assert.equal(
              exit.signal,
              "SIGKILL",
              `expected a crash at ${point}: ${exit.stderr.slice(-500)}`,
            );
            assert.match(exit.stderr, new RegExp(`crashing at ${point}`));
            const w = await runToEnd(
              spawnTrain(brokers, topic, { stateDir: dir, group, args: fast }),
            );
            assert.equal(w.events_trained, N);
            assert.deepEqual(model(w), reference);
            await Deno.remove(dir, { recursive: true });
          });
        }

        await t.step("SIGKILL at random moments, three times, then a restart", async () => {
          const dir = await tempDir();
          const group = uniqueGroup();
          const seed = testSeed("exactly-once: SIGKILL moments");
          const random = new Random(seed);
          const kills: number[] = [];
          for (let i = 0; i < 3; i++) {
            const train = spawnTrain(brokers, topic, { stateDir: dir, group, args: fast });
            const before = (await waitForWeights(train, () => true)).events_trained;
            const target = before + Math.floor(random.next() * (N - before) * 0.8);
            await waitForWeights(train, (w) => w.events_trained >= target);
            await new Promise((r) => setTimeout(r, random.nextInt(150)));
            const exit = await train.stop("SIGKILL");
            assert.equal(exit.signal, "SIGKILL");
            kills.push(target);
          }
          const w = await runToEnd(
            spawnTrain(brokers, topic, { stateDir: dir, group, args: fast }),
          );
          const where = `killed near ${kills.join(", ")} (seed ${seed})`;
          assert.equal(w.events_trained, N, where);
          assert.deepEqual(model(w), reference, where);
          await Deno.remove(dir, { recursive: true });
        });

        await t.step("a torn newest checkpoint is reported and the previous one used", async () => {
          const dir = await tempDir();
          const group = uniqueGroup();
          // A checkpoint after every batch (the last --checkpoint-interval wins): a throttled
          // interval may have written only one by half-way when the batches are quick.
          const first = spawnTrain(brokers, topic, {
            stateDir: dir,
            group,
            args: [...fast, "--checkpoint-interval", "0s"],
          });
          await waitForWeights(first, (w) => w.events_trained >= N / 2);
          await first.stop("SIGKILL");
          const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
            n.endsWith(".ckpt")
          ).sort();
          assert.ok(files.length >= 2, `checkpoints: ${files}`);
          const newest = `${dir}/${files[files.length - 1]}`;
          const bytes = await Deno.readFile(newest);
          await Deno.writeFile(newest, bytes.subarray(0, Math.floor(bytes.length / 2)));
          const second = spawnTrain(brokers, topic, { stateDir: dir, group, args: fast });
          const w = await runToEnd(second);
          assert.match(second.output(), /warning: Checkpoint .* is unusable: .*torn write/);
          assert.equal(w.events_trained, N);
          assert.deepEqual(model(w), reference);
          await Deno.remove(dir, { recursive: true });
        });

        await t.step(
          "redelivered records are skipped and counted, the model unchanged",
          async () => {
            const dir = await tempDir();
            const group = uniqueGroup();
            const first = await runToEnd(
              spawnTrain(brokers, topic, { stateDir: dir, group, args: fast }),
            );
            assert.equal(first.skipped_records, 0);
            const reset = await kafkaTool(KAFKA_TOOLS.consumerGroups, [
              "--bootstrap-server",
              brokers,
              "--group",
              group,
              "--topic",
              topic,
              "--reset-offsets",
              "--to-earliest",
              "--execute",
            ]);
            assert.ok(reset.success, reset.stderr + reset.stdout);
            const again = spawnTrain(brokers, topic, { stateDir: dir, group, args: fast });
            const w = await waitForWeights(again, (w) => w.skipped_records >= N);
            assert.equal(w.skipped_records, N);
            assert.equal(w.events_trained, N);
            assert.deepEqual(model(w), reference);
            assert.equal((await again.stop("SIGINT")).code, 0);
            await Deno.remove(dir, { recursive: true });
          },
        );

        await t.step(
          "SIGTERM exits 0 (a clean stop within its --shutdown-timeout) and the restart resumes exactly",
          async () => {
            const dir = await tempDir();
            const group = uniqueGroup();
            const train = spawnTrain(brokers, topic, { stateDir: dir, group, args: fast });
            await waitForWeights(train, (w) => w.events_trained >= N / 3);
            // A hang guard, not a speed check: exit code 0 says it stopped cleanly within its
            // own --shutdown-timeout.
            const exit = await withDeadline(train.stop("SIGTERM"), 60_000, {
              what: "train's exit after SIGTERM",
            });
            assert.equal(exit.code, 0, exit.stderr);
            assert.match(exit.stdout, /checkpoint of batch \d+ written/);
            const w = await runToEnd(
              spawnTrain(brokers, topic, { stateDir: dir, group, args: fast }),
            );
            assert.equal(w.events_trained, N);
            assert.deepEqual(model(w), reference);
            await Deno.remove(dir, { recursive: true });
          },
        );
      } finally {
        await dropTopics(brokers, topic);
      }
    },
  });

  Deno.test({
    name:
      `train refuses a second writer on its state directory and takes over a stale lock${label}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const small = uniqueTopic("single-writer");
      await fillTopic(brokers, small, 1000, 3);
      const dir = await tempDir();
      try {
        const first = spawnTrain(brokers, small, {
          stateDir: dir,
          group: uniqueGroup(),
          args: extra,
        });
        await waitForWeights(first, (w) => w.events_trained >= 1000);
        const second = spawnTrain(brokers, small, {
          stateDir: dir,
          group: uniqueGroup(),
          args: [...extra, "--lock-wait", "500ms"],
        });
        const refused = await second.exited;
        assert.equal(refused.code, 1);
        assert.match(
          refused.stderr,
          /state directory is in use: .*LOCK is held by process \d+ .*after waiting [\d.]+m?s \(--lock-wait\)/,
        );
        await first.stop("SIGKILL");
        const third = spawnTrain(brokers, small, {
          stateDir: dir,
          group: uniqueGroup(),
          args: extra,
        });
        await waitForWeights(third, () => true);
        assert.match(third.output(), /took over the stale lock of process \d+/);
        assert.equal((await third.stop("SIGINT")).code, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
        await dropTopics(brokers, small);
      }
    },
  });

  Deno.test({
    name: `the admin routes answer 401, 403 and 200, and only the token changes the model${label}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const small = uniqueTopic("admin");
      await fillTopic(brokers, small, 5000, 4);
      const dir = await tempDir();
      const train = spawnTrain(brokers, small, {
        stateDir: dir,
        group: uniqueGroup(),
        args: [...extra, "--admin-token", "s3cret", "--trigger", "100ms"],
      });
      try {
        const trained = await waitForWeights(train, (w) => w.events_trained >= 5000);
        const post = (path: string, token?: string) =>
          fetch(`${train.url}${path}`, {
            method: "POST",
            headers: token ? { authorization: `Bearer ${token}` } : {},
          });
        const none = await post("/reset");
        assert.equal(none.status, 401);
        await none.body?.cancel();
        const wrong = await post("/reset", "guess");
        assert.equal(wrong.status, 403);
        await wrong.body?.cancel();
        assert.deepEqual(model((await readWeights(train.url))!), model(trained));

        const checkpoint = await post("/checkpoint", "s3cret");
        assert.equal(checkpoint.status, 200, await checkpoint.text());
        const withCheckpoint = await waitForWeights(train, (w) => w.checkpoint !== null);
        assert.equal(withCheckpoint.checkpoint?.batch_id, withCheckpoint.last_batch_id);

        const reset = await post("/reset", "s3cret");
        assert.equal(reset.status, 200, await reset.text());
        const after = (await readWeights(train.url))!;
        assert.equal(after.updates, 0);
        assert.notDeepEqual(model(after), model(trained));
      } finally {
        assert.equal((await train.stop("SIGINT")).code, 0);
        await Deno.remove(dir, { recursive: true });
        await dropTopics(brokers, small);
      }
    },
  });
}
