import assert from "node:assert/strict";
import { resolveConfig, UsageError } from "../src/config.ts";

Deno.test("resolveConfig() fills every default of train", () => {
  const c = resolveConfig(["train"], {});
  assert.equal(c.command, "train");
  if (c.command !== "train") return;
  assert.deepEqual(c.brokers, ["127.0.0.1:9092"]);
  assert.equal(c.topic, "clickstream_v2");
  assert.equal(c.group, "clickstream-trainer");
  assert.equal(c.triggerMs, 1000);
  assert.equal(c.startingOffsets, "earliest");
  assert.deepEqual(c.http, { hostname: "127.0.0.1", port: 8080 });
  assert.equal(c.stateDir, "./state");
  assert.equal(c.adminToken, null);
  assert.equal(c.partitions, 1);
  assert.equal(c.lockWaitMs, 5000);
});

Deno.test("resolveConfig() takes --lock-wait as a duration and documents its default", () => {
  const c = resolveConfig(["train", "--lock-wait", "1500ms"], {});
  assert.ok(c.command === "train");
  assert.equal(c.lockWaitMs, 1500);
  const help = resolveConfig(["train", "--help"], {});
  assert.ok(help.command === "help");
  assert.match(help.text, /--lock-wait <value> +wait .*state lock.* \(default 5s\)/);
});

Deno.test("resolveConfig() takes flags over the environment", async (t) => {
  await t.step("KAFKA_BROKERS when no --brokers", () => {
    const c = resolveConfig(["send"], { KAFKA_BROKERS: "127.0.0.1:19092,127.0.0.1:19093" });
    assert.ok(c.command === "send");
    assert.deepEqual(c.brokers, ["127.0.0.1:19092", "127.0.0.1:19093"]);
  });
  await t.step("--brokers over KAFKA_BROKERS", () => {
    const c = resolveConfig(["send", "--brokers", "localhost:1"], { KAFKA_BROKERS: "x:2" });
    assert.ok(c.command === "send");
    assert.deepEqual(c.brokers, ["localhost:1"]);
  });
  await t.step("CLICKSTREAM_ADMIN_TOKEN when no --admin-token", () => {
    const c = resolveConfig(["train", "t1", "--trigger", "100ms"], {
      CLICKSTREAM_ADMIN_TOKEN: "s3",
    });
    assert.ok(c.command === "train");
    assert.equal(c.adminToken, "s3");
    assert.equal(c.topic, "t1");
    assert.equal(c.triggerMs, 100);
  });
});

Deno.test("resolveConfig() parses loadtest bounds with units", () => {
  const a = resolveConfig(["loadtest"], {});
  assert.ok(a.command === "loadtest");
  assert.equal(a.bytes, 5e9);
  assert.equal(a.events, null);
  assert.equal(a.profile, "original");
  const b = resolveConfig(["loadtest", "--events", "200k", "--rate", "1000", "--seed", "0"], {});
  assert.ok(b.command === "loadtest");
  assert.equal(b.bytes, null);
  assert.equal(b.events, 200_000);
  assert.equal(b.seed, 0);
  const c = resolveConfig(["loadtest", "--bytes", "512MiB"], {});
  assert.ok(c.command === "loadtest");
  assert.equal(c.bytes, 512 * 1024 * 1024);
  const d = resolveConfig(["loadtest", "--profile", "funnel"], {});
  assert.ok(d.command === "loadtest");
  assert.equal(d.profile, "funnel");
});

Deno.test("resolveConfig() throws UsageError naming the bad flag or value", async (t) => {
  const bad: [string, string[], RegExp][] = [
    ["an unknown command", ["fly"], /Unknown command "fly"/],
    ["an unknown flag", ["send", "--nope"], /nope/],
    ["a bad count", ["send", "--count", "ten"], /--count/],
    ["a zero count", ["send", "--count", "0"], /--count must be ≥ 1/],
    ["a bad duration", ["train", "--trigger", "soon"], /--trigger/],
    ["a bad lock wait", ["train", "--lock-wait", "forever"], /--lock-wait: .*"forever"/],
    ["a bad mode", ["train", "--mode", "sgd"], /--mode must be one of seed, adagrad, ftrl/],
    ["a bad listen address", ["train", "--http", "nowhere"], /--http/],
    ["two bounds", ["loadtest", "--events", "1", "--duration", "1s"], /one of --bytes/],
    [
      "a bad profile",
      ["loadtest", "--profile", "shop"],
      /--profile must be one of original, funnel/,
    ],
    ["bad brokers", ["consume", "--brokers", "no-port"], /--brokers/],
    ["topics without action", ["topics"], /create/],
    ["a stray argument", ["send", "extra"], /Unexpected argument "extra"/],
  ];
  for (const [name, argv, message] of bad) {
    await t.step(name, () => {
      assert.throws(
        () => resolveConfig(argv, {}),
        (e: unknown) =>
          e instanceof UsageError && message.test(e.message) && e.usage.includes("Usage"),
      );
    });
  }
});

Deno.test("resolveConfig() returns the help text for --help on every command", () => {
  for (const command of ["send", "consume", "topics", "train", "loadtest", "demo"]) {
    const c = resolveConfig([command, "--help"], {});
    assert.ok(c.command === "help");
    assert.match(c.text, new RegExp(`clickstream ${command}`));
  }
  const top = resolveConfig([], {});
  assert.ok(top.command === "help");
  assert.match(top.text, /Commands:/);
});
