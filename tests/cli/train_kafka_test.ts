/**
 * The trainer end to end on the real broker: the generator's stream goes through Kafka into
 * `train` (run as the user runs it, a subprocess of `src/main.ts`), and `/weights` shows what it
 * learnt. Also the original's wire format from another client: Kafka's own console producer.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics, fillTopic, spawnTrain, waitForWeights } from "../_helpers/train_process.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { KAFKA_TOOLS, kafkaTool } from "../../dev/kafka/tools.ts";
import { withDeadline } from "../../src/util/deadline.ts";

/** How long a stopping process may take before the test calls it hung. */
const STOP_DEADLINE_MS = 60_000;

const brokers = await testBrokers();

Deno.test({
  name: "train learns 200k events of the generator's stream from Kafka and serves them on /weights",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("train-e2e");
    const N = 200_000;
    const stateDir = await Deno.makeTempDir({ prefix: "train-test-" });
    try {
      await fillTopic(brokers, topic, N, 11);
      const train = spawnTrain(brokers, topic, {
        stateDir,
        group: uniqueGroup("train"),
        args: ["--trigger", "200ms"],
      });
      let exit;
      try {
        const w = await waitForWeights(train, (w) => w.events_trained >= N);
        assert.equal(w.events_trained, N);
        assert.ok(w.weights.log_position > 0, `log_position weight ${w.weights.log_position}`);
        const m = w.metrics.cumulative;
        assert.ok(
          m.log_loss < m.constant_log_loss,
          `prequential log loss ${m.log_loss} not below the constant-rate ${m.constant_log_loss}`,
        );
        assert.ok(m.auc > 0.6, `AUC ${m.auc}`);
        const lagged = await waitForWeights(train, (w) => w.lag === 0, 10_000);
        assert.equal(lagged.lag, 0);
        const health = await fetch(`${train.url}/healthz`);
        assert.equal(health.status, 200);
        await health.body?.cancel();
      } finally {
        // A hang guard, not a speed check: the exit code says whether it stopped cleanly
        // within its own --shutdown-timeout.
        const t0 = performance.now();
        exit = await withDeadline(train.stop("SIGINT"), STOP_DEADLINE_MS, {
          what: "train's exit after SIGINT",
        });
        console.log(`train stopped ${Math.round(performance.now() - t0)} ms after SIGINT`);
      }
      assert.equal(exit.code, 0, exit.stderr);
      assert.match(exit.stdout, /Batch 0 \| events: [\d,]+ \| model update #/);
      assert.match(exit.stdout, /majority baseline/);
      assert.match(exit.stdout, /__intercept__ +[-+]\d\.\d{4} \(baseline p=0\.\d{3}\)/);
      assert.match(exit.stdout, /stopped after batch \d+: 200000 events trained/);
    } finally {
      await Deno.remove(stateDir, { recursive: true });
      await dropTopics(brokers, topic, `${topic}.dlq`);
    }
  },
});

Deno.test({
  name: "train learns events written by Kafka's own console producer in the original's wire format",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("train-console");
    const stateDir = await Deno.makeTempDir({ prefix: "train-test-" });
    try {
      {
        await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
        await admin.ensureTopic(topic);
      }
      // The original's producers wrote Python's json.dumps output: spaces after separators.
      const lines: string[] = [];
      const generator = new SessionGenerator({ seed: 5 });
      for (let i = 0; i < 300; i++) {
        const e = generator.next();
        const amount = e.amount === undefined ? "" : `, "amount": ${e.amount}`;
        lines.push(
          `${e.session_id}\t{"user_id": ${e.user_id}, "url": "${e.url}", "action": "${e.action}", "session_id": "${e.session_id}", "timestamp": ${e.timestamp}${amount}}`,
        );
      }
      lines.push(`bad\t{"user_id": "x"}`);
      const produced = await kafkaTool(KAFKA_TOOLS.consoleProducer, [
        "--bootstrap-server",
        brokers,
        "--topic",
        topic,
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=\t",
      ], { stdin: lines.join("\n") + "\n" });
      assert.ok(produced.success, produced.stderr);

      const train = spawnTrain(brokers, topic, {
        stateDir,
        group: uniqueGroup("train"),
        args: ["--trigger", "200ms"],
      });
      try {
        const w = await waitForWeights(
          train,
          (w) => w.events_trained >= 300 && (w.bad_records.wrong_type ?? 0) >= 1,
        );
        assert.equal(w.events_trained, 300);
        assert.equal(w.bad_records.wrong_type, 1);
      } finally {
        const exit = await train.stop("SIGINT");
        assert.equal(exit.code, 0, exit.stderr);
      }
    } finally {
      await Deno.remove(stateDir, { recursive: true });
      await dropTopics(brokers, topic, `${topic}.dlq`);
    }
  },
});

Deno.test({
  name: "train --max-batch-bytes closes each batch at the bytes of its records' values",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("train-bytes");
    const N = 3_000;
    const MAX_BYTES = 20_000;
    // Every value of the generator's stream is longer than this: its six keys and their quotes
    // alone take 63 bytes, and its values at least 28 more.
    const MIN_VALUE_BYTES = 90;
    const stateDir = await Deno.makeTempDir({ prefix: "train-test-" });
    try {
      await fillTopic(brokers, topic, N, 12);
      // A 30 s trigger and no event bound: without the byte bound all would be one batch.
      const train = spawnTrain(brokers, topic, {
        stateDir,
        group: uniqueGroup("train-bytes"),
        args: ["--trigger", "30s", "--max-batch-bytes", String(MAX_BYTES)],
      });
      let exit;
      try {
        const w = await waitForWeights(train, (w) => w.events_trained >= N);
        assert.equal(w.events_trained, N);
      } finally {
        exit = await train.stop("SIGINT");
      }
      assert.equal(exit.code, 0, exit.stderr);
      const sizes = [...exit.stdout.matchAll(/Batch \d+ \| events: ([\d,]+) \|/g)]
        .map((m) => Number(m[1].replaceAll(",", "")));
      assert.equal(sizes.reduce((a, b) => a + b, 0), N);
      assert.ok(sizes.length >= N * MIN_VALUE_BYTES / MAX_BYTES, `batches ${sizes.join(" ")}`);
      for (const n of sizes) assert.ok(n <= MAX_BYTES / MIN_VALUE_BYTES, `a batch of ${n} events`);
    } finally {
      await Deno.remove(stateDir, { recursive: true });
      await dropTopics(brokers, topic, `${topic}.dlq`);
    }
  },
});
