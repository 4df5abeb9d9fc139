/**
 * The trainer end to end on the real broker: the generator's stream goes through Kafka into
 * `train` (run as the user runs it, a subprocess of `src/main.ts`), and `/weights` shows what it
 * learnt. Also the original's wire format from another client: Kafka's own console producer.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { freePort } from "../../kafka/broker.ts";
import { KAFKA_TOOLS, kafkaTool } from "../../kafka/tools.ts";

const brokers = await testBrokers();
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

interface Weights {
  events_trained: number;
  weights: Record<string, number>;
  metrics: { cumulative: { log_loss: number; constant_log_loss: number; auc: number } };
  lag: number | null;
  bad_records: Record<string, number>;
}

/** Starts `train` on `topic`; returns its URL, a stop function and its output so far. */
function startTrain(topic: string, extra: string[] = []) {
  const port = freePort();
  const stateDir = Deno.makeTempDirSync({ prefix: "train-test-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "train",
      topic,
      "--group",
      uniqueGroup("train"),
      "--http",
      `127.0.0.1:${port}`,
      "--state-dir",
      stateDir,
      "--trigger",
      "200ms",
      ...extra,
    ],
    env: { KAFKA_BROKERS: brokers, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    async stop(): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
      const t0 = performance.now();
      try {
        child.kill("SIGINT");
      } catch { /* already gone */ }
      const status = await child.status;
      const [stdout, stderr] = await output;
      Deno.removeSync(stateDir, { recursive: true });
      return { code: status.code, stdout, stderr, ms: performance.now() - t0 };
    },
  };
}

/** Polls `/weights` until `done(weights)` or the deadline. */
async function waitForWeights(
  url: string,
  done: (w: Weights) => boolean,
  timeoutMs = 120_000,
): Promise<Weights> {
  const deadline = Date.now() + timeoutMs;
  let last: Weights | undefined;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/weights`);
      last = await response.json() as Weights;
      if (done(last)) return last;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for /weights; last: ${JSON.stringify(last)?.slice(0, 400)}`);
}

async function dropTopic(name: string) {
  await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
  await admin.deleteTopics([name]);
}

Deno.test("train learns 200k events of the generator's stream from Kafka and serves them on /weights", async () => {
  const topic = uniqueTopic("train-e2e");
  const N = 200_000;
  const client = new KafkaClient({ brokers });
  try {
    {
      await using admin = await KafkaAdmin.connect(client);
      await admin.ensureTopic(topic);
      await using producer = await EventProducer.connect(client, { topic, acks: "leader" });
      const generator = new SessionGenerator({ seed: 11 });
      for (let sent = 0; sent < N; sent += 10_000) {
        await producer.send(Array.from({ length: 10_000 }, () => generator.next()));
      }
    }
    const train = startTrain(topic);
    let result;
    try {
      const w = await waitForWeights(train.url, (w) => w.events_trained >= N);
      assert.equal(w.events_trained, N);
      assert.ok(w.weights.log_position > 0, `log_position weight ${w.weights.log_position}`);
      const m = w.metrics.cumulative;
      assert.ok(
        m.log_loss < m.constant_log_loss,
        `prequential log loss ${m.log_loss} not below the constant-rate ${m.constant_log_loss}`,
      );
      assert.ok(m.auc > 0.6, `AUC ${m.auc}`);
      const lagged = await waitForWeights(train.url, (w) => w.lag === 0, 10_000);
      assert.equal(lagged.lag, 0);
      const health = await fetch(`${train.url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    } finally {
      result = await train.stop();
    }
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.ms < 10_000, `SIGINT took ${result.ms} ms`);
    assert.match(result.stdout, /Batch 0 \| events: [\d,]+ \| model update #/);
    assert.match(result.stdout, /majority baseline/);
    assert.match(result.stdout, /__intercept__ +[-+]\d\.\d{4} \(baseline p=0\.\d{3}\)/);
    assert.match(result.stdout, /stopped after batch \d+: 200000 events trained/);
  } finally {
    await dropTopic(topic);
  }
});

Deno.test("train learns events written by Kafka's own console producer in the original's wire format", async () => {
  const topic = uniqueTopic("train-console");
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

    const train = startTrain(topic);
    try {
      const w = await waitForWeights(train.url, (w) => w.events_trained >= 300);
      assert.equal(w.events_trained, 300);
      const bad = await waitForWeights(train.url, (w) => (w.bad_records.wrong_type ?? 0) >= 1);
      assert.equal(bad.bad_records.wrong_type, 1);
    } finally {
      const result = await train.stop();
      assert.equal(result.code, 0, result.stderr);
    }
  } finally {
    await dropTopic(topic);
  }
});
