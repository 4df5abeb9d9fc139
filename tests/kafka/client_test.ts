/**
 * Unit tests of the Kafka layer's argument checks and of the `deno task kafka` launcher's flag
 * handling: nothing here needs a broker.
 *
 * @module
 */

import assert from "node:assert/strict";
import { KafkaClient, parseBrokers } from "../../src/kafka/client.ts";
import { EventProducer } from "../../src/kafka/producer.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";

Deno.test("parseBrokers() accepts a list or a comma-separated string", async (t) => {
  await t.step("string", () => {
    assert.deepEqual(parseBrokers(" 127.0.0.1:9092 , kafka:19092"), [
      "127.0.0.1:9092",
      "kafka:19092",
    ]);
  });
  await t.step("array", () => {
    assert.deepEqual(parseBrokers(["a:1", "b:2"]), ["a:1", "b:2"]);
  });
});

Deno.test("parseBrokers() throws TypeError naming the bad entry", async (t) => {
  for (const bad of ["", " , ", "localhost", "host:0", "host:70000", "host:port"]) {
    await t.step(JSON.stringify(bad), () => {
      assert.throws(() => parseBrokers(bad), TypeError);
    });
  }
  assert.throws(() => parseBrokers("localhost"), /"localhost" is not host:port/);
});

Deno.test("KafkaClient rejects an unknown log level", () => {
  assert.throws(
    () => new KafkaClient({ brokers: "127.0.0.1:9092", logLevel: "loud" as never }),
    /log level "loud"/,
  );
});

Deno.test("EventProducer.connect() rejects bad options before connecting", async (t) => {
  const client = new KafkaClient({ brokers: "127.0.0.1:1" });
  await t.step("idempotent needs acks all", async () => {
    await assert.rejects(
      EventProducer.connect(client, { topic: "t", idempotent: true, acks: "leader" }),
      RangeError,
    );
  });
  await t.step("unknown acks", async () => {
    await assert.rejects(
      EventProducer.connect(client, { topic: "t", acks: "some" as never }),
      RangeError,
    );
  });
  await t.step("unknown compression", async () => {
    await assert.rejects(
      EventProducer.connect(client, { topic: "t", compression: "zstd" as never }),
      RangeError,
    );
  });
});

Deno.test("EventConsumer.connect() rejects bad options before connecting", async () => {
  const client = new KafkaClient({ brokers: "127.0.0.1:1" });
  await assert.rejects(EventConsumer.connect(client, { topic: [], groupId: "g" }), TypeError);
  await assert.rejects(EventConsumer.connect(client, { topic: "t", groupId: "" }), TypeError);
  await assert.rejects(
    EventConsumer.connect(client, { topic: "t", groupId: "g", startingOffsets: "middle" as never }),
    RangeError,
  );
});

Deno.test("deno task kafka prints usage and exits 2 on a bad flag", async (t) => {
  const launch = new URL("../../dev/kafka/launch.ts", import.meta.url).pathname;
  for (const args of [["--bogus"], ["--port", "nope"], ["--port", "70000"]]) {
    await t.step(args.join(" "), async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", launch, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 2);
      assert.match(new TextDecoder().decode(out.stderr), /Usage: deno task kafka/);
    });
  }
  await t.step("--help", async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", launch, "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0);
    assert.match(new TextDecoder().decode(out.stdout), /--controller-port/);
  });
});
