import assert from "node:assert/strict";
import { COMMAND_SPECS, resolveConfig, usage, UsageError } from "../src/config.ts";
import { LOG_LEVELS } from "../src/cli/common_config.ts";
import { SASL_MECHANISMS } from "../src/kafka/client_config.ts";
import { ACKS, COMPRESSIONS } from "../src/kafka/producer.ts";
import { ON_DRIFT } from "../src/learn/drift.ts";
import { DEFAULT_FEATURE_SET_NAME, FEATURE_SET_NAMES } from "../src/learn/feature_sets.ts";
import { MODES, PER_EVENT_MODES } from "../src/learn/model.ts";
import { CRASH_POINTS } from "../src/stream/checkpoint.ts";

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

Deno.test("resolveConfig() takes train's --featurize-worker on|off and names a bad value", () => {
  const c = resolveConfig(["train"], {});
  assert.ok(c.command === "train");
  assert.equal(c.featurizeWorker, false);
  for (const [value, on] of [["on", true], ["off", false]] as const) {
    const d = resolveConfig(["train", "--featurize-worker", value], {});
    assert.ok(d.command === "train");
    assert.equal(d.featurizeWorker, on);
  }
  assert.throws(
    () => resolveConfig(["train", "--featurize-worker", "yes"], {}),
    (e: unknown) =>
      e instanceof UsageError && /--featurize-worker/.test(e.message) && e.message.includes("yes"),
  );
});

Deno.test("resolveConfig() bounds train's batches in bytes with --max-batch-bytes", () => {
  const c = resolveConfig(["train"], {});
  assert.ok(c.command === "train");
  assert.equal(c.maxBatchBytes, 64 * 1024 * 1024);
  const d = resolveConfig(["train", "--max-batch-bytes", "5MB"], {});
  assert.ok(d.command === "train");
  assert.equal(d.maxBatchBytes, 5_000_000);
  for (const bad of ["0", "lots"]) {
    assert.throws(
      () => resolveConfig(["train", "--max-batch-bytes", bad], {}),
      (e: unknown) =>
        e instanceof UsageError && /--max-batch-bytes/.test(e.message) &&
        e.message.includes(bad),
    );
  }
});

Deno.test("resolveConfig() sizes train's fetches with --fetch-bytes", () => {
  const c = resolveConfig(["train"], {});
  assert.ok(c.command === "train");
  assert.equal(c.fetchBytes, 4 * 1024 * 1024, "4 MiB by default");
  assert.equal(c.maxBatchEvents, 20_000, "batches of 20,000 by default");
  const w = resolveConfig(["train", "--featurize-worker", "on"], {});
  assert.ok(w.command === "train");
  assert.equal(w.maxBatchEvents, 40_000, "40,000 with the featurize worker");
  const x = resolveConfig(["train", "--featurize-worker", "on", "--max-batch-events", "5000"], {});
  assert.ok(x.command === "train");
  assert.equal(x.maxBatchEvents, 5000, "as given");
  const d = resolveConfig(["train", "--fetch-bytes", "1MiB"], {});
  assert.ok(d.command === "train");
  assert.equal(d.fetchBytes, 1024 * 1024);
  for (const bad of ["0", "much"]) {
    assert.throws(
      () => resolveConfig(["train", "--fetch-bytes", bad], {}),
      (e: unknown) =>
        e instanceof UsageError && /--fetch-bytes/.test(e.message) && e.message.includes(bad),
    );
  }
});

Deno.test("resolveConfig() takes --features on train and demo, default the registry's", () => {
  for (const command of ["train", "demo"]) {
    const c = resolveConfig([command], {});
    assert.ok(c.command === "train" || c.command === "demo");
    assert.equal(c.featureSet, DEFAULT_FEATURE_SET_NAME);
    for (const name of FEATURE_SET_NAMES) {
      const d = resolveConfig([command, "--features", name], {});
      assert.ok(d.command === "train" || d.command === "demo");
      assert.equal(d.featureSet, name);
    }
    assert.throws(
      () => resolveConfig([command, "--features", "all"], {}),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `--features must be one of position, session, fields, shop, got "all"`,
    );
    const help = resolveConfig([command, "--help"], {});
    assert.ok(help.command === "help");
    assert.match(
      help.text,
      /--features <value> +feature set: position \| session \| fields \| shop \(default shop\)/,
    );
  }
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

Deno.test("every command's --help lists every flag of its spec, with its default", async (t) => {
  assert.deepEqual(COMMAND_SPECS.map((s) => s.name), [
    "send",
    "consume",
    "topics",
    "train",
    "featurize",
    "learn",
    "loadtest",
    "demo",
    "quality",
  ]);
  for (const spec of COMMAND_SPECS) {
    await t.step(spec.name, () => {
      const c = resolveConfig([spec.name, "--help"], {});
      assert.ok(c.command === "help");
      assert.equal(c.text, usage(spec.name));
      const lines = c.text.split("\n");
      assert.equal(lines[0].startsWith(`Usage: clickstream ${spec.name}`), true);
      for (const [name, flag] of Object.entries(spec.flags)) {
        const line = lines.find((l) => new RegExp(`^ +(-\\w, )?--${name}( <value>)? `).test(l));
        assert.ok(line !== undefined, `--${name} missing from ${spec.name} --help`);
        if (flag.default !== undefined) {
          assert.ok(line.endsWith(`(default ${flag.default})`), line);
        }
      }
      const flagLines = lines.filter((l) => /^ +(-\w, )?--/.test(l));
      assert.equal(flagLines.length, Object.keys(spec.flags).length);
    });
  }
});

Deno.test("every command's defaults in --help are the values it resolves to", async (t) => {
  for (const spec of COMMAND_SPECS) {
    await t.step(spec.name, () => {
      const positionals = spec.name === "topics" ? ["list"] : [];
      const explicit = Object.entries(spec.flags).flatMap(([name, f]) =>
        f.default === undefined ? [] : [`--${name}`, f.default]
      );
      assert.ok(explicit.length > 0 || spec.name === "topics");
      assert.deepEqual(
        resolveConfig([spec.name, ...positionals, ...explicit], {}),
        resolveConfig([spec.name, ...positionals], {}),
      );
    });
  }
});

Deno.test("a bad flag of every command raises UsageError naming it, with that command's help", async (t) => {
  for (const spec of COMMAND_SPECS) {
    await t.step(`${spec.name} --no-such-flag`, () => {
      assert.throws(() => resolveConfig([spec.name, "--no-such-flag"], {}), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, /--no-such-flag/);
        assert.equal(e.usage, usage(spec.name));
        return true;
      });
    });
    for (const [name, flag] of Object.entries(spec.flags)) {
      if (flag.choices === undefined) continue;
      await t.step(`${spec.name} --${name} bogus`, () => {
        const argv = [spec.name, `--${name}`, "bogus"];
        if (name.startsWith("sasl-")) argv.push("--sasl-username", "u", "--sasl-password", "p");
        assert.throws(() => resolveConfig(argv, {}), (e: unknown) => {
          assert.ok(e instanceof UsageError);
          assert.match(
            e.message,
            new RegExp(`^--${name} must be one of ${flag.choices!.join(", ")}, got "bogus"$`),
          );
          assert.equal(e.usage, usage(spec.name));
          return true;
        });
      });
    }
  }
  const quality: [string[], RegExp][] = [
    [["--events", "0"], /--events must be ≥ 1/],
    [["--seed", "x"], /--seed must be an integer/],
    [["--batch", "ten"], /--batch: /],
    [["--drift-at", "-5"], /--drift-at/],
    [["--modes", ","], /--modes needs at least one/],
    [["extra"], /Unexpected argument "extra"/],
  ];
  for (const [argv, message] of quality) {
    await t.step(`quality ${argv.join(" ")}`, () => {
      assert.throws(
        () => resolveConfig(["quality", ...argv], {}),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    });
  }
});

Deno.test("choice flags list their choices from the one source, in help and in the parser", () => {
  const sources: [string, string, readonly string[]][] = [
    ["train", "mode", MODES],
    ["learn", "mode", PER_EVENT_MODES],
    ["demo", "mode", MODES],
    ["quality", "modes", MODES],
    ["train", "on-drift", ON_DRIFT],
    ["loadtest", "acks", ACKS],
    ["loadtest", "compression", COMPRESSIONS],
    ["send", "log-level", LOG_LEVELS],
    ["consume", "sasl-mechanism", SASL_MECHANISMS],
  ];
  for (const [command, flag, choices] of sources) {
    const spec = COMMAND_SPECS.find((s) => s.name === command)!;
    assert.equal(spec.flags[flag].choices, choices, `${command} --${flag}`);
    assert.match(usage(command), new RegExp(`--${flag} <value> +.*${choices.join(" \\| ")}`));
  }
  for (const spec of COMMAND_SPECS) {
    for (const [name, flag] of Object.entries(spec.flags)) {
      if (flag.choices === undefined) continue;
      const line = usage(spec.name).split("\n").find((l) => l.includes(`--${name} `))!;
      assert.ok(line.includes(flag.choices.join(" | ")), line);
    }
  }
  for (const mode of MODES) {
    const c = resolveConfig(["train", "--mode", mode], {});
    assert.ok(c.command === "train");
    assert.equal(c.mode, mode);
  }
  assert.throws(
    () => resolveConfig(["train"], { CLICKSTREAM_CRASH_AT: "never" }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === `CLICKSTREAM_CRASH_AT must be one of ${CRASH_POINTS.join(", ")}, got "never"`,
  );
  for (const point of CRASH_POINTS) {
    const c = resolveConfig(["train"], { CLICKSTREAM_CRASH_AT: point });
    assert.ok(c.command === "train");
    assert.deepEqual(c.crash, { point, after: 1 });
  }
});

Deno.test("resolveConfig() fills every default of quality", () => {
  assert.deepEqual(resolveConfig(["quality"], {}), {
    command: "quality",
    events: 1_000_000,
    seed: 42,
    modes: [...MODES],
    featureSets: [...FEATURE_SET_NAMES],
    batchSize: 10_000,
    driftAt: null,
    profiles: ["original"],
    out: "quality.json",
    target: "purchase",
    classWeight: 1,
  });
  const c = resolveConfig(
    [
      "quality",
      "--events",
      "200k",
      "--modes",
      "ftrl",
      "--seed=-3",
      "--drift-at",
      "5",
      "--out",
      "-",
      "--profile",
      "funnel,original",
      "--features",
      "fields",
    ],
    {},
  );
  assert.ok(c.command === "quality");
  assert.deepEqual(
    [c.events, c.modes, c.seed, c.driftAt, c.out, c.profiles, c.featureSets],
    [200_000, ["ftrl"], -3, 5, null, ["funnel", "original"], ["fields"]],
  );
  assert.throws(
    () => resolveConfig(["quality", "--profile", "shop"], {}),
    /--profile.*shop|shop.*--profile/,
  );
  assert.throws(
    () => resolveConfig(["quality", "--features", "position,pages"], {}),
    /--features must be one of position, session, fields, shop, got "pages"/,
  );
  const a = resolveConfig(["quality", "--target", "action"], {});
  assert.ok(a.command === "quality");
  assert.deepEqual([a.target, a.modes, a.classWeight], ["action", ["adagrad"], 1]);
});
