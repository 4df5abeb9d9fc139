/**
 * `train` on the 3-broker cluster, run as the user runs it (a subprocess of `src/main.ts`): it
 * creates its input topic, its dead letters and its predictions with three replicas all in sync,
 * and trains exactly the N events the load generator writes to a one-partition topic.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runLoadtest } from "../../src/cli/loadtest.ts";
import { resolveConfig } from "../../src/config.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { testCluster } from "../_helpers/cluster.ts";
import { testClient, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics, spawnTrain, waitForWeights } from "../_helpers/train_process.ts";

const cluster = await testCluster();
const N = 200_000;

Deno.test({
  name:
    `train creates its topics with 3 replicas in sync and trains exactly ${N} events of a one-partition topic on the cluster`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const topic = uniqueTopic("train-cluster");
    const topics = [topic, `${topic}.dlq`, `${topic}.predictions`];
    const stateDir = await Deno.makeTempDir({ prefix: "train-cluster-test-" });
    const train = spawnTrain(cluster.brokers, topic, {
      stateDir,
      group: uniqueGroup("train-cluster"),
      args: ["--trigger", "500ms", "--predictions"],
    });
    await using admin = await KafkaAdmin.connect(testClient(cluster.brokers));
    let exit;
    try {
      // train creates its three topics before it serves /weights (src/cli/train.ts).
      await waitForWeights(train, () => true, 120_000);
      for (const t of topics) {
        const parts = await admin.topicReplicas(t);
        assert.equal(parts.length, 1, `${t}: one partition`);
        assert.deepEqual(parts[0].replicas, [1, 2, 3], `${t}: replicas`);
        assert.deepEqual(parts[0].isr, [1, 2, 3], `${t}: in-sync replicas`);
      }

      const load = resolveConfig([
        "loadtest",
        "--brokers",
        cluster.brokers,
        "--topic",
        topic,
        "--events",
        String(N),
        "--workers",
        "1",
        "--senders-per-worker",
        "2",
        "--acks",
        "all",
      ], {});
      assert.ok(load.command === "loadtest");
      const out: string[] = [];
      const t0 = performance.now();
      const code = await runLoadtest(load, {
        write: (text) => void out.push(text),
        isTerminal: false,
        progressIntervalMs: 5000,
      });
      assert.equal(code, 0, out.join(""));
      const [{ high }] = await admin.topicOffsets(topic);
      assert.equal(high, N, "the load generator wrote exactly N records");

      const w = await waitForWeights(train, (w) => w.events_trained >= N, 300_000);
      assert.equal(w.events_trained, N);
      assert.equal(w.skipped_records, 0);
      console.log(
        `${N} events written and trained in ${Math.round((performance.now() - t0) / 1000)} s`,
      );
    } finally {
      exit = await train.stop("SIGINT");
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      await dropTopics(cluster.brokers, ...topics).catch(() => {});
    }
    assert.equal(exit.code, 0, exit.stderr.slice(-3000));
    assert.match(exit.stdout, new RegExp(`stopped after batch \\d+: ${N} events trained`));
  },
});
