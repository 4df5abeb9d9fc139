/**
 * Broker bounce: `train` (a subprocess, as users run it) keeps training while its broker is
 * stopped and started again, twice, and an idempotent `acks=all` producer keeps sending. Every
 * acknowledged event is trained exactly once — the set of (partition, offset) in the predictions
 * topic equals the set the producer had acknowledged, and `/weights` counts exactly that many —
 * and `/healthz` answers 503 during each outage and 200 after. The producer rides each outage
 * without a failed send. This test starts (and stops) its own broker.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startBroker } from "../../dev/kafka/broker.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer, type RawRecord } from "../../src/kafka/producer.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { take } from "../kafka/_collect.ts";
import { uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { readWeights, spawnTrain, type TrainProcess } from "../_helpers/train_process.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function healthStatus(url: string): Promise<number | "down"> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return "down";
  }
}

/** Polls until `check` holds, failing after `timeoutMs` with `what` and the trainer's output. */
async function until<T>(
  train: TrainProcess,
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  train.exited.then(() => ended = true);
  while (Date.now() < deadline && !ended) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(
    `${
      ended ? "train exited" : `timed out after ${timeoutMs} ms`
    } waiting for ${what}\n--- output ---\n${train.output().slice(-4000)}`,
  );
}

Deno.test({
  name:
    "train trains every acknowledged event exactly once while the broker is stopped and started twice",
  sanitizeResources: false, // the broker's and the trainer's process handles
  sanitizeOps: false,
  async fn() {
    await using broker = await startBroker();
    const topic = uniqueTopic("bounce");
    const partitions = 2;
    // A long retry budget (~60 s): the idempotent producer must ride each outage, not fail.
    const client = new KafkaClient({
      brokers: broker.brokers,
      clientId: "bounce-test",
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    {
      await using admin = await KafkaAdmin.connect(client);
      await admin.ensureTopic(topic, { partitions });
    }
    const stateDir = await Deno.makeTempDir({ prefix: "clickstream-bounce-" });
    const train = spawnTrain(broker.brokers, topic, {
      stateDir,
      group: uniqueGroup("bounce"),
      args: [
        "--predictions",
        "--trigger",
        "200ms",
        "--checkpoint-interval",
        "1s",
        "--partitions",
        String(partitions),
      ],
    });
    try {
      await until(
        train,
        "/healthz 200 at start",
        60_000,
        async () => await healthStatus(train.url) === 200 ? true : undefined,
      );

      // The sender: 100 events per send, spread over the partitions explicitly so the
      // acknowledged offsets follow from each send's base offsets.
      const producer = await EventProducer.connect(client, {
        topic,
        acks: "all",
        idempotent: true,
      });
      const acked = new Set<string>();
      const generator = new SessionGenerator({ seed: 7 });
      const encoder = new TextEncoder();
      let sending = true;
      let sends = 0;
      let slowestSendMs = 0;
      const sender = (async () => {
        for (let i = 0; sending && i < 10_000; i++) {
          const records: RawRecord[] = [];
          const perPartition = new Map<number, number>();
          for (let j = 0; j < 100; j++) {
            const event = generator.next();
            const partition = j % partitions;
            perPartition.set(partition, (perPartition.get(partition) ?? 0) + 1);
            records.push({
              key: event.session_id,
              value: encoder.encode(JSON.stringify(event)),
              partition,
            });
          }
          const t0 = performance.now();
          const result = await producer.sendRaw(records);
          slowestSendMs = Math.max(slowestSendMs, performance.now() - t0);
          sends++;
          assert.equal(result.offsets?.length, perPartition.size, "one produce request per send");
          for (const { partition, baseOffset } of result.offsets!) {
            for (let k = 0; k < perPartition.get(partition)!; k++) {
              acked.add(`${partition}:${baseOffset + k}`);
            }
          }
          await sleep(40);
        }
      })();

      const trained = async () => (await readWeights(train.url))?.events_trained ?? 0;
      await until(
        train,
        "first events trained",
        60_000,
        async () => await trained() > 0 ? true : undefined,
      );

      const outages: string[] = [];
      for (let bounce = 1; bounce <= 2; bounce++) {
        await sleep(1500);
        await broker.stop();
        const stoppedAt = Date.now();
        const unhealthyAfter = await until(
          train,
          `/healthz 503 in outage ${bounce}`,
          30_000,
          async () => await healthStatus(train.url) === 503 ? Date.now() - stoppedAt : undefined,
        );
        const outageMs = 6000;
        await sleep(Math.max(0, outageMs - (Date.now() - stoppedAt)));
        const before = await trained();
        await broker.start();
        const startedAt = Date.now();
        const healthyAfter = await until(
          train,
          `/healthz 200 after outage ${bounce}`,
          60_000,
          async () => await healthStatus(train.url) === 200 ? Date.now() - startedAt : undefined,
        );
        const resumedAfter = await until(
          train,
          `training to resume after outage ${bounce}`,
          60_000,
          async () => await trained() > before ? Date.now() - startedAt : undefined,
        );
        outages.push(
          `outage ${bounce}: broker down ${
            startedAt - stoppedAt
          } ms; /healthz 503 after ${unhealthyAfter} ms; after the restart /healthz 200 in ${healthyAfter} ms, training resumed in ${resumedAfter} ms`,
        );
      }
      await sleep(1000);
      sending = false;
      await sender; // no send failed: the idempotent producer rode both outages
      await producer.close();
      assert.ok(acked.size >= 1000, `only ${acked.size} events acknowledged`);

      const weights = await until(train, `events_trained = ${acked.size}`, 60_000, async () => {
        const w = await readWeights(train.url);
        return w && w.events_trained >= acked.size ? w : undefined;
      });
      assert.equal(weights.events_trained, acked.size, "trained more events than acknowledged");
      assert.deepEqual(weights.bad_records, {}, "no record was dead-lettered");

      // Nothing in the topic but what was acknowledged (an unacknowledged write would show here).
      {
        await using admin = await KafkaAdmin.connect(client);
        const ends = await admin.topicOffsets(topic);
        const inLog = ends.reduce((n, o) => n + o.high - o.low, 0);
        assert.equal(inLog, acked.size, "records in the topic vs acknowledged");
      }

      // What was trained: one prediction per trained event, identified by its source offset.
      const predictionsTopic = `${topic}.predictions`;
      let total: number;
      {
        await using admin = await KafkaAdmin.connect(client);
        total = (await admin.topicOffsets(predictionsTopic)).reduce(
          (n, o) => n + o.high - o.low,
          0,
        );
      }
      await using reader = await EventConsumer.connect(client, {
        topic: predictionsTopic,
        groupId: uniqueGroup("bounce-read"),
        startingOffsets: "earliest",
      });
      const records = await take(reader, total, 60_000);
      const trainedSet = new Set<string>();
      for (const r of records) {
        const p = JSON.parse(new TextDecoder().decode(r.value!));
        assert.equal(p.topic, topic);
        trainedSet.add(`${p.partition}:${p.offset}`);
      }
      const missing = [...acked].filter((k) => !trainedSet.has(k));
      const extra = [...trainedSet].filter((k) => !acked.has(k));
      assert.deepEqual(
        { missing: missing.slice(0, 10), extra: extra.slice(0, 10) },
        { missing: [], extra: [] },
      );
      assert.equal(trainedSet.size, acked.size);

      const exit = await train.stop("SIGINT");
      assert.equal(exit.code, 0, exit.stderr.slice(-2000));
      const reconnects = (exit.stdout.match(/the Kafka consumer is back/g) ?? []).length;
      const removed = exit.stdout.match(/^(removed|.* had already left) .*member.*$/gm) ?? [];
      console.log(
        `${acked.size} events acknowledged in ${sends} sends (slowest send ${
          Math.round(slowestSendMs)
        } ms), ${trainedSet.size} trained, ${
          records.length - trainedSet.size
        } repeated predictions, consumer reconnects: ${reconnects}\n${outages.join("\n")}` +
          (removed.length ? `\n${removed.join("\n")}` : ""),
      );
    } finally {
      await train.stop("SIGKILL");
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});
