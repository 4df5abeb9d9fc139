/**
 * Through Kafka, a crash and a restart, `train` on one partition still ends with bitwise the
 * weights the trainer computed for the same input before it was split into stages (the
 * fixture's "adagrad, the exactly-once test's input": the exactly-once test's 60,000 events).
 * `/weights` prints doubles exactly, so equal digests are equal bits.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics, fillTopic, spawnTrain, waitForWeights } from "../_helpers/train_process.ts";
import { POSITION_FEATURES } from "../../src/learn/position_features.ts";
import { GOLDEN_FILE, type GoldenResult, weightsDigest } from "./_golden.ts";

const brokers = await testBrokers();
const expected: GoldenResult =
  JSON.parse(await Deno.readTextFile(GOLDEN_FILE))["adagrad, the exactly-once test's input"];
const FAST = [
  ...["--trigger", "100ms", "--max-batch-events", "4000", "--checkpoint-interval", "0s"],
  // The fixture pins the weights of the features of before feature sets.
  ...["--features", "position"],
];

Deno.test({
  name: "train through a crash on one partition ends with the golden weights, bit for bit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("golden");
    const dir = await Deno.makeTempDir({ prefix: "golden-" });
    const group = uniqueGroup();
    try {
      await fillTopic(brokers, topic, Number(expected.eventsTrained), 21);
      const crashed = spawnTrain(brokers, topic, {
        stateDir: dir,
        group,
        args: FAST,
        env: { CLICKSTREAM_CRASH_AT: "after-rename", CLICKSTREAM_CRASH_AFTER: "4" },
      });
      assert.equal((await crashed.exited).signal, "SIGKILL");
      const train = spawnTrain(brokers, topic, { stateDir: dir, group, args: FAST });
      const w = await waitForWeights(
        train,
        (w) => w.events_trained >= Number(expected.eventsTrained) && w.lag === 0,
      );
      assert.equal((await train.stop("SIGINT")).code, 0);
      const body = w as typeof w & {
        raw_weights: Record<string, number>;
        raw_intercept: number;
      };
      assert.deepEqual(Object.keys(body.weights), [...POSITION_FEATURES.names]);
      assert.equal(w.feature_set, "position");
      assert.equal(w.events_trained, expected.eventsTrained);
      assert.equal(w.updates, expected.updates);
      assert.equal(
        await weightsDigest(
          Object.values(body.weights),
          body.intercept,
          Object.values(body.raw_weights),
          body.raw_intercept,
        ),
        expected.weights,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
      await dropTopics(brokers, topic, `${topic}.dlq`);
    }
  },
});
