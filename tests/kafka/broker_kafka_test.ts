/**
 * The local broker launcher (`kafka/broker.ts`) and kafkajs across a broker restart. These tests
 * start their own broker (they bounce it, so they cannot share the run's broker).
 *
 * @module
 */

import assert from "node:assert/strict";
import { BrokerStartError, freePorts, probeMetadata, startBroker } from "../../dev/kafka/broker.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { testClient, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { spawnLaunch } from "../_helpers/launch_process.ts";
import { makeEvents } from "./_collect.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();

Deno.test(
  "startBroker() serves metadata, stop() closes the port and start() keeps the topics",
  opts,
  async () => {
    await using broker = await startBroker();
    assert.match(broker.brokers, /^127\.0\.0\.1:\d+$/);
    assert.equal(await probeMetadata("127.0.0.1", broker.port), 1);
    const topic = uniqueTopic("persist");
    const client = testClient(broker.brokers);
    {
      await using admin = await KafkaAdmin.connect(client);
      assert.equal(await admin.ensureTopic(topic, { partitions: 2 }), true);
      assert.equal(await admin.ensureTopic(topic, { partitions: 2 }), false, "idempotent");
      await using producer = await EventProducer.connect(client, { topic });
      await producer.send(makeEvents(10, 2));
    }
    await broker.stop();
    assert.equal(broker.running, false);
    await assert.rejects(probeMetadata("127.0.0.1", broker.port, 500));
    await broker.start();
    {
      await using admin = await KafkaAdmin.connect(client);
      assert.ok((await admin.listTopics()).includes(topic));
      const offsets = await admin.topicOffsets(topic);
      assert.equal(offsets.reduce((n, p) => n + p.high, 0), 10, "the records survived");
    }
    const log = await Deno.readTextFile(broker.logFile);
    assert.match(log, /Kafka Server started/);
  },
);

Deno.test(
  "EventProducer and EventConsumer ride out a broker restart without losing acknowledged events",
  opts,
  async () => {
    await using broker = await startBroker();
    const client = testClient(broker.brokers);
    const topic = uniqueTopic("bounce");
    {
      await using admin = await KafkaAdmin.connect(client);
      await admin.ensureTopic(topic, { partitions: 2 });
    }
    await using producer = await EventProducer.connect(client, {
      topic,
      idempotent: true,
      maxBatchRecords: 50,
    });
    await using consumer = await EventConsumer.connect(client, {
      topic,
      groupId: uniqueGroup("bounce"),
      startingOffsets: "earliest",
    });
    const events = makeEvents(4000, 50);
    const acked: string[] = [];
    let sendFailures = 0;
    const produce = (async () => {
      for (let i = 0; i < events.length; i += 100) {
        const chunk = events.slice(i, i + 100);
        for (;;) {
          try {
            await producer.send(chunk);
            break;
          } catch {
            sendFailures++; // at-least-once: retry the chunk
            if (sendFailures > 20) throw new Error("the producer never recovered");
          }
        }
        for (const e of chunk) acked.push(JSON.stringify(e));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Consume while the broker bounces, until every event is in (duplicates allowed: a chunk
    // that failed at our level is sent again, at-least-once).
    const wanted = new Set(events.map((e) => JSON.stringify(e)));
    const seen = new Set<string>();
    let consumedCount = 0;
    const consumed = (async () => {
      const deadline = Date.now() + 90_000;
      const it = consumer[Symbol.asyncIterator]();
      while (seen.size < wanted.size) {
        if (Date.now() > deadline) {
          throw new Error(`only ${seen.size} of ${wanted.size} events arrived in 90 s`);
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const result = await Promise.race([
          it.next(),
          new Promise<"tick">((r) => timer = setTimeout(() => r("tick"), 500)),
        ]);
        clearTimeout(timer);
        if (result === "tick") continue;
        if (result.done) throw new Error("the consumer ended");
        consumedCount++;
        seen.add(decoder.decode(result.value.value!));
      }
      await it.return?.();
    })();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await broker.restart();
    const restartMs = performance.now() - t0;
    await produce;
    assert.equal(acked.length, events.length);
    await consumed.catch((error) => {
      throw new Error(`${error.message} (restart took ${restartMs} ms)`);
    });
    assert.deepEqual(seen, wanted, "every acknowledged event arrived");
    const duplicates = consumedCount - seen.size;
    console.log(
      `broker restart ${Math.round(restartMs)} ms; chunks resent at our level ${sendFailures}; ` +
        `${consumedCount} records consumed, ${duplicates} duplicates`,
    );
    if (sendFailures === 0) assert.equal(duplicates, 0, "no duplicates without resends");
  },
);

Deno.test(
  "a second broker on a running one's port is refused, naming the port, and starts nothing",
  opts,
  async () => {
    await using first = await startBroker();
    const dataDir = await Deno.makeTempDir({ prefix: "clickstream-kafka-taken-" });
    try {
      await assert.rejects(
        startBroker({ port: first.port, dataDir, removeDataDir: true }),
        (e: unknown) =>
          e instanceof BrokerStartError &&
          e.message.includes(`client port 127.0.0.1:${first.port} is in use`),
      );
      await assert.rejects(
        startBroker({ controllerPort: first.controllerPort, dataDir, removeDataDir: true }),
        (e: unknown) =>
          e instanceof BrokerStartError &&
          e.message.includes(`controller port 127.0.0.1:${first.controllerPort} is in use`),
      );
      assert.equal(await probeMetadata("127.0.0.1", first.port), 1, "the first one still serves");
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test(
  "deno task kafka exits 1 naming the log when its broker dies, and 0 on Ctrl-C",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "clickstream-kafka-launch-" });
    const launch = (port: number, controllerPort: number) =>
      spawnLaunch([
        "--port",
        String(port),
        "--controller-port",
        String(controllerPort),
        "--data-dir",
        dataDir,
      ]);
    const waitUp = async (l: ReturnType<typeof launch>) => {
      assert.match(await l.waitUp(120_000), /Kafka 4\.1\.2 is up: bootstrap 127\.0\.0\.1:\d+/);
    };
    try {
      const [port, controllerPort] = freePorts(2);
      const killed = launch(port, controllerPort);
      await waitUp(killed);
      const jvm = Number((await Deno.readTextFile(`${dataDir}/broker.pid`)).trim());
      Deno.kill(jvm, "SIGKILL");
      const died = await killed.done();
      assert.equal(died.code, 1, died.stderr);
      assert.match(died.stderr, /the broker exited on its own .*see .*broker\.log/);

      const stopped = launch(port, controllerPort); // the same data directory, started again
      await waitUp(stopped);
      stopped.child.kill("SIGINT");
      const clean = await stopped.done();
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /Kafka stopped\./);
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);
