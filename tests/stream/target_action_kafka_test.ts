/**
 * Exactly-once for `--target action`, on the real broker with `train` run as a subprocess: for a
 * fixed input of N events on one partition, a run killed by SIGKILL at seeded moments and then
 * restarted ends with `events_trained` = N and the next-action model's weights (and the purchase
 * model's) bitwise identical to an uninterrupted run's (JSON prints doubles exactly, so equal
 * JSON is equal bits). `CLICKSTREAM_TEST_SEED=<seed>` replays the kill moments.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import {
  dropTopics,
  fillTopic,
  spawnTrain,
  type TrainProcess,
  waitForWeights,
  type WeightsBody,
} from "../_helpers/train_process.ts";
import { testSeed } from "../_helpers/seed.ts";
import { Random } from "../../src/util/random.ts";

const brokers = await testBrokers();
const N = 40_000;

/** Small batches and a checkpoint after each, so the kills fall between many steps. */
const ARGS = [
  ...["--target", "action", "--trigger", "100ms", "--max-batch-events", "4000"],
  ...["--checkpoint-interval", "0s"],
];

interface ActionWeights {
  action?: {
    classes: string[];
    weights: Record<string, { weights: Record<string, number>; intercept: number }>;
    metrics: { events: number; log_loss: number | null };
  };
}

function model(w: WeightsBody & ActionWeights) {
  return {
    action: w.action?.weights,
    actionEvents: w.action?.metrics.events,
    actionLogLoss: w.action?.metrics.log_loss,
    weights: w.weights,
    intercept: w.intercept,
    updates: w.updates,
  };
}

async function runToEnd(train: TrainProcess): Promise<WeightsBody & ActionWeights> {
  const w = await waitForWeights(train, (w) => w.events_trained >= N && w.lag === 0);
  const exit = await train.stop("SIGINT");
  assert.equal(exit.code, 0, exit.stderr);
  return w;
}

Deno.test({
  name: "train --target action ends with bitwise the same models after SIGKILLs and restarts",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("target-action");
    await fillTopic(brokers, topic, N, 33);
    const dirs: string[] = [];
    try {
      const refDir = await Deno.makeTempDir({ prefix: "target-action-" });
      dirs.push(refDir);
      const reference = model(
        await runToEnd(
          spawnTrain(brokers, topic, { stateDir: refDir, group: uniqueGroup(), args: ARGS }),
        ),
      );
      assert.ok(reference.action !== undefined, "the reference run serves the action model");
      assert.equal(reference.actionEvents, N);
      assert.deepEqual(Object.keys(reference.action!), ["click", "view", "scroll", "purchase"]);

      const dir = await Deno.makeTempDir({ prefix: "target-action-" });
      dirs.push(dir);
      const group = uniqueGroup();
      const seed = testSeed("target action: SIGKILL moments");
      const random = new Random(seed);
      const kills: number[] = [];
      for (let i = 0; i < 2; i++) {
        const train = spawnTrain(brokers, topic, { stateDir: dir, group, args: ARGS });
        const before = (await waitForWeights(train, () => true)).events_trained;
        const at = before + Math.floor(random.next() * (N - before) * 0.8);
        await waitForWeights(train, (w) => w.events_trained >= at);
        await new Promise((r) => setTimeout(r, random.nextInt(150)));
        const exit = await train.stop("SIGKILL");
        assert.equal(exit.signal, "SIGKILL");
        kills.push(at);
      }
      const w = await runToEnd(spawnTrain(brokers, topic, { stateDir: dir, group, args: ARGS }));
      const where = `killed near ${kills.join(", ")} (seed ${seed})`;
      assert.equal(w.events_trained, N, where);
      assert.deepEqual(model(w), reference, where);

      // The checkpoint records the target: a restart without it is refused, naming both.
      const wrong = spawnTrain(brokers, topic, {
        stateDir: dir,
        group,
        args: ["--trigger", "100ms"],
      });
      const refused = await wrong.exited;
      assert.notEqual(refused.code, 0);
      assert.match(
        refused.stderr + wrong.output(),
        /learnt --target action, this stage learns --target purchase/,
      );
    } finally {
      await dropTopics(brokers, topic);
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});
