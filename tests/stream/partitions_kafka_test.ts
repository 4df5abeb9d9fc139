/**
 * Exactly-once on several partitions, on the real broker with `train` run as a subprocess: a
 * topic of three partitions (sessions keyed to partitions by the producer) is trained through
 * a crash mid-batch, a SIGKILL and a clean stop. In the end every event was trained exactly
 * once (each counted and scored once, each partition's offset at its end), and each partition's
 * session store in the checkpoint is exactly the one the featurize stage builds from that
 * partition's records alone — whatever the interleaving and the restarts were.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics, spawnTrain, waitForWeights } from "../_helpers/train_process.ts";
import { take } from "../kafka/_collect.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { CheckpointStore } from "../../src/stream/checkpoint.ts";
import { featureRows, FeaturizeStage } from "../../src/stream/featurize_stage.ts";
import type { SourceRecord } from "../../src/stream/records.ts";
import { RowBatch } from "../../src/stream/row_batch.ts";

const brokers = await testBrokers();
const client = new KafkaClient({ brokers });
const N = 30_000;
const PARTITIONS = 3;
const FAST = ["--trigger", "100ms", "--max-batch-events", "3000", "--checkpoint-interval", "0s"];

Deno.test({
  name: "train on three partitions: each event trained once, each partition's sessions its own",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("partitions");
    const dir = await Deno.makeTempDir({ prefix: "partitions-" });
    const group = uniqueGroup();
    try {
      {
        await using admin = await KafkaAdmin.connect(client);
        await admin.ensureTopic(topic, { partitions: PARTITIONS });
        await using producer = await EventProducer.connect(client, { topic, acks: "all" });
        const generator = new SessionGenerator({ seed: 12 });
        for (let sent = 0; sent < N; sent += 5000) {
          await producer.send(Array.from({ length: 5000 }, () => generator.next()));
        }
      }

      const crashed = spawnTrain(brokers, topic, {
        stateDir: dir,
        group,
        args: FAST,
        env: { CLICKSTREAM_CRASH_AT: "mid-batch", CLICKSTREAM_CRASH_AFTER: "3" },
      });
      const crash = await crashed.exited;
      assert.equal(crash.signal, "SIGKILL", crash.stderr.slice(-500));
      assert.match(crash.stderr, /crashing at mid-batch/);

      const killed = spawnTrain(brokers, topic, { stateDir: dir, group, args: FAST });
      const resumed = await waitForWeights(killed, () => true);
      assert.ok(resumed.events_trained > 0, "the crashed run's checkpoints are resumed from");
      await waitForWeights(killed, (w) => w.events_trained >= N / 2);
      assert.equal((await killed.stop("SIGKILL")).signal, "SIGKILL");

      const last = spawnTrain(brokers, topic, { stateDir: dir, group, args: FAST });
      const w = await waitForWeights(last, (w) => w.events_trained >= N && w.lag === 0);
      const exit = await last.stop("SIGINT");
      assert.equal(exit.code, 0, exit.stderr);
      assert.equal(w.events_trained, N);
      assert.equal(w.metrics.cumulative.events, N, "each event scored once");

      const loaded = await new CheckpointStore(dir).loadLatest();
      assert.ok(loaded);
      const state = loaded.state;
      assert.equal(state.eventsTrained, N);
      await using admin = await KafkaAdmin.connect(client);
      const ends = (await admin.topicOffsets(topic)).map((o) => [o.partition, o.high]);
      assert.deepEqual(state.offsets.map((o) => [o.partition, o.offset]), ends);
      assert.equal(ends.reduce((sum, [, high]) => sum + high, 0), N);
      assert.ok(ends.every(([, high]) => high > 0), `every partition has records: ${ends}`);

      // Each partition's records alone, through the featurize stage.
      await using consumer = await EventConsumer.connect(client, {
        topic,
        groupId: uniqueGroup("reader"),
        startingOffsets: "earliest",
        autoCommit: false,
      });
      const all = await take(consumer, N, 60_000);
      for (let p = 0; p < PARTITIONS; p++) {
        const records: SourceRecord[] = all.filter((r) => r.partition === p)
          .sort((a, b) => a.offset - b.offset);
        const stage = new FeaturizeStage();
        stage.featurize(records, new RowBatch(featureRows()));
        const saved = state.featurize.partitions.find((s) => s.partition === p);
        assert.deepEqual(
          JSON.parse(JSON.stringify(saved)),
          stage.toJSON().partitions[0],
          `partition ${p}'s featurize state`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
      await dropTopics(brokers, topic, `${topic}.dlq`);
    }
  },
});
