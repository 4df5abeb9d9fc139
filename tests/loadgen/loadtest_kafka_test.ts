/**
 * `runLoadtest()` against the real test broker: exact bounded runs, the seeded single-sender
 * stream equal to the profile's generator of the same seed (original
 * and funnel), the rate cap counted in events on an
 * injected clock, Ctrl-C (an abort) stopping every worker with a summary, and a clear error when
 * no broker answers. No test asserts a speed (`bench/loadtest.ts` measures it).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { freePort } from "../../dev/kafka/broker.ts";
import { createTestTopic, testBrokers, testClient, uniqueGroup } from "../_helpers/kafka.ts";
import { take } from "../kafka/_collect.ts";
import { runLoadtest } from "../../src/cli/loadtest.ts";
import { type LoadtestConfig, resolveConfig } from "../../src/config.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { createGenerator } from "../../src/generator/create_generator.ts";
import { FUNNEL_START } from "../../src/generator/funnel_generator.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { EventConsumer } from "../../src/kafka/consumer.ts";
import { partitionOf } from "../../src/loadgen/partitioner.ts";
import { withDeadline } from "../../src/util/deadline.ts";

const brokers = await testBrokers();

function config(args: string[], broker = brokers): LoadtestConfig {
  const c = resolveConfig(["loadtest", "--brokers", broker, ...args], {});
  assert.ok(c.command === "loadtest");
  return c;
}

function capture() {
  const chunks: string[] = [];
  return { write: (text: string) => void chunks.push(text), text: () => chunks.join("") };
}

async function endOffsets(topic: string): Promise<number> {
  await using admin = await KafkaAdmin.connect(testClient(brokers));
  return (await admin.topicOffsets(topic)).reduce((sum, p) => sum + p.high, 0);
}

Deno.test("runLoadtest() writes exactly --events records with several workers and senders", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-events", { partitions: 3 });
  const out = capture();
  const code = await runLoadtest(
    config([
      "--topic",
      topic.name,
      "--events",
      "30001",
      "--workers",
      "2",
      "--senders-per-worker",
      "2",
      "--batch",
      "500",
    ]),
    { write: out.write, isTerminal: false, progressIntervalMs: 500 },
  );
  assert.equal(code, 0, out.text());
  assert.equal(await endOffsets(topic.name), 30_001);
  assert.match(out.text(), /loadtest done: 30,001 events/);
  assert.match(out.text(), /errors 0\n/);
  assert.doesNotMatch(out.text(), /\r/); // not a terminal: plain lines
});

Deno.test("runLoadtest() with --acks all (idempotent) and --compression gzip writes exactly --events", async (t) => {
  for (
    const flags of [["--acks", "all"], ["--compression", "gzip"], [
      "--acks",
      "all",
      "--compression",
      "gzip",
    ]]
  ) {
    await t.step(flags.join(" "), async () => {
      await using topic = await createTestTopic(brokers, "loadtest-acks", { partitions: 2 });
      const out = capture();
      const code = await runLoadtest(
        config([
          "--topic",
          topic.name,
          "--events",
          "12345",
          "--workers",
          "2",
          "--senders-per-worker",
          "2",
          ...flags,
        ]),
        { write: out.write, isTerminal: false },
      );
      assert.equal(code, 0, out.text());
      assert.equal(await endOffsets(topic.name), 12_345);
      assert.match(out.text(), /errors 0\n/);
    });
  }
});

Deno.test("loadtest stops cleanly on SIGINT and prints the summary (subprocess)", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-sigint");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../src/main.ts", import.meta.url).pathname,
      "loadtest",
      "--brokers",
      brokers,
      "--topic",
      topic.name,
      "--duration",
      "10m",
      "--rate",
      "5000",
      "--workers",
      "2",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoderStream();
  const reader = child.stdout.pipeThrough(decoder).getReader();
  let text = "";
  const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    // Wait for the first progress line, then Ctrl-C.
    while (!/\n\[ *\d/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0, text);
    assert.match(text, /loadtest interrupted: [\d,]+ events/);
    const written = Number(/interrupted: ([\d,]+) events/.exec(text)![1].replaceAll(",", ""));
    assert.equal(await endOffsets(topic.name), written);
  } finally {
    clearTimeout(killer);
  }
});

Deno.test("runLoadtest() with --bytes stops at the first event past the target", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-bytes");
  const out = capture();
  const code = await runLoadtest(
    config([
      "--topic",
      topic.name,
      "--bytes",
      "200kB",
      "--workers",
      "2",
      "--senders-per-worker",
      "1",
    ]),
    { write: out.write, isTerminal: false },
  );
  assert.equal(code, 0, out.text());
  const m = /loadtest done: ([\d,]+) events, ([\d.]+) kB/.exec(out.text());
  assert.ok(m, out.text());
  const kB = Number(m[2]);
  assert.ok(kB >= 200 && kB < 200.5, `${kB} kB written`); // each worker overshoots < 1 event
  assert.equal(await endOffsets(topic.name), Number(m[1].replaceAll(",", "")));
});

Deno.test("runLoadtest() with --seed, one worker and one sender writes the profile generator's stream", async (t) => {
  for (
    const [name, extra, profile, options] of [
      ["no drift", [], "original", {}],
      ["--drift-at", ["--drift-at", "1200"], "original", { driftAt: 1200 }],
      ["--profile funnel", ["--profile", "funnel"], "funnel", {}],
      ["--profile funnel --drift-at", ["--profile", "funnel", "--drift-at", "1200"], "funnel", {
        driftAt: 1200,
      }],
    ] as const
  ) {
    await t.step(name, async () => {
      await using topic = await createTestTopic(brokers, "loadtest-seed");
      const n = 3000;
      const out = capture();
      const code = await runLoadtest(
        config([
          "--topic",
          topic.name,
          "--events",
          String(n),
          "--seed",
          "7",
          "--workers",
          "1",
          "--senders-per-worker",
          "1",
          "--batch",
          "256",
          ...extra,
        ]),
        { write: out.write, isTerminal: false },
      );
      assert.equal(code, 0, out.text());
      await using consumer = await EventConsumer.connect(testClient(brokers), {
        topic: topic.name,
        groupId: uniqueGroup("loadtest-seed"),
        startingOffsets: "earliest",
      });
      const records = await take(consumer, n, 60_000);
      const gen = createGenerator(profile, { seed: 7, ...options });
      let purchases = 0;
      for (let i = 0; i < n; i++) {
        const expected = gen.next();
        if (expected.action === "purchase") purchases++;
        const r = records[i];
        assert.equal(r.offset, i);
        assert.equal(Buffer.from(r.key!).toString(), expected.session_id, `key of record ${i}`);
        assert.deepEqual(new Uint8Array(r.value!), encodeEvent(expected), `value of record ${i}`);
      }
      assert.ok(purchases > 0);
    });
  }
});

Deno.test("runLoadtest() --profile funnel without a seed keeps the funnel's simulated clock", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-funnel");
  const n = 4000;
  const out = capture();
  const code = await runLoadtest(
    config(["--topic", topic.name, "--events", String(n), "--workers", "2", "--profile", "funnel"]),
    { write: out.write, isTerminal: false },
  );
  assert.equal(code, 0, out.text());
  assert.match(out.text(), /profile funnel/);
  await using consumer = await EventConsumer.connect(testClient(brokers), {
    topic: topic.name,
    groupId: uniqueGroup("loadtest-funnel"),
    startingOffsets: "earliest",
  });
  const records = await take(consumer, n, 60_000);
  const urls = new Set<string>();
  for (const r of records) {
    const e = JSON.parse(new TextDecoder().decode(r.value!));
    // 4000 events at 0.55/s span about 2 simulated hours from 2026-01-05, not the wall clock
    assert.ok(e.timestamp >= FUNNEL_START && e.timestamp < FUNNEL_START + 86400, `${e.timestamp}`);
    urls.add(e.url.split("?")[0].split("/")[1]);
  }
  assert.deepEqual([...urls].sort(), [
    "about",
    "blog",
    "cart",
    "category",
    "checkout",
    "home",
    "product",
    "search",
  ]);
});

Deno.test("runLoadtest() puts each record on its key's partition (Kafka's default partitioner)", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-partitions", { partitions: 3 });
  const out = capture();
  const code = await runLoadtest(
    config([
      "--topic",
      topic.name,
      "--events",
      "3000",
      "--workers",
      "2",
      "--senders-per-worker",
      "1",
    ]),
    { write: out.write, isTerminal: false },
  );
  assert.equal(code, 0, out.text());
  await using consumer = await EventConsumer.connect(testClient(brokers), {
    topic: topic.name,
    groupId: uniqueGroup("loadtest-partitions"),
    startingOffsets: "earliest",
  });
  const records = await take(consumer, 3000, 60_000);
  const used = new Set<number>();
  for (const r of records) {
    assert.equal(r.partition, partitionOf(r.key!, 3));
    used.add(r.partition);
  }
  assert.equal(used.size, 3);
});

Deno.test("runLoadtest() with --rate never has more events acknowledged than its token bucket granted", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-rate");
  // The bucket reads this test's clock, which moves only between progress lines, 100 ms at a
  // time: 400 tokens at 4,000/s, the bucket's burst (a tenth of the rate), two sends of 200
  // (a twentieth). It moves once every event granted so far is acknowledged, or when the count
  // stood still over a line (near the end senders are granted sends they find nothing left
  // for). So the cap is measured in events: at every line the acknowledged count is at most
  // what the clock has granted. Without the cap a line would show thousands against 0 granted.
  const RATE = 4000, EVENTS = 8000, STEP_MS = 100, PER_STEP = (RATE * STEP_MS) / 1000;
  let clock = 0;
  const granted = () => (clock / STEP_MS) * PER_STEP;
  const out = capture();
  const counts: number[] = []; // acknowledged events, one per progress line
  const over: string[] = []; // lines that showed more than was granted
  let wake = () => {};
  const write = (text: string) => {
    out.write(text);
    const m = /\] ([\d,]+) \/ 8,000 events/.exec(text);
    if (m) {
      const acked = Number(m[1].replaceAll(",", ""));
      counts.push(acked);
      if (acked > granted()) over.push(`${acked} events acknowledged, ${granted()} granted`);
    }
    wake();
  };
  let finished = false;
  const run = runLoadtest(
    config([
      "--topic",
      topic.name,
      "--events",
      String(EVENTS),
      "--rate",
      String(RATE),
      "--workers",
      "2",
      "--senders-per-worker",
      "2",
    ]),
    { write, isTerminal: false, progressIntervalMs: 100, clock: { now: () => clock } },
  ).finally(() => {
    finished = true;
    wake();
  });
  const deadline = Date.now() + 120_000;
  let linesAtStep = 0;
  while (!finished) {
    const acked = counts.at(-1) ?? 0;
    assert.deepEqual(over, []);
    // Lines come once every worker is connected, so the bucket (made at 0) exists by then.
    const waiting = acked === granted() || (counts.length >= 2 && counts.at(-2) === acked);
    // (also past 8,000: senders still waiting for a grant must get it to see they are done)
    if (counts.length > linesAtStep && waiting) {
      clock += STEP_MS;
      linesAtStep = counts.length;
    } else {
      assert.ok(Date.now() < deadline, `stuck at ${acked} of ${EVENTS}:\n${out.text()}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, 1000);
      });
      clearTimeout(timer);
    }
  }
  const code = await run;
  assert.deepEqual(over, [], "a progress line showed more events than the bucket granted");
  assert.equal(code, 0, out.text());
  const written = await endOffsets(topic.name);
  assert.equal(written, EVENTS);
  assert.ok(granted() >= written, `${written} events written, ${granted()} tokens granted`);
  assert.ok(counts.length > EVENTS / PER_STEP, `only ${counts.length} lines: the check never ran`);
  assert.match(out.text(), /loadtest done: 8,000 events/);
});

Deno.test("runLoadtest() stops every worker on abort (Ctrl-C) and prints the summary", async () => {
  await using topic = await createTestTopic(brokers, "loadtest-abort");
  const out = capture();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 2500);
  // The run is 10 minutes long: the deadline (a hang guard) says the abort stopped it.
  const code = await withDeadline(
    runLoadtest(
      config(["--topic", topic.name, "--duration", "10m", "--rate", "5000", "--workers", "2"]),
      { write: out.write, isTerminal: true, signal: controller.signal, progressIntervalMs: 500 },
    ),
    120_000,
    { what: "loadtest after its abort signal" },
  );
  clearTimeout(timer);
  assert.equal(code, 0, out.text());
  const text = out.text();
  // deno-lint-ignore no-control-regex -- the terminal bar starts with an ANSI erase-line escape
  assert.match(text, /\r\x1b\[2K\[[█░]+\]/); // the terminal bar
  assert.match(text, /\nloadtest interrupted: [\d,]+ events/);
  const written = Number(/interrupted: ([\d,]+) events/.exec(text)![1].replaceAll(",", ""));
  assert.ok(written > 0);
  assert.equal(await endOffsets(topic.name), written);
});

Deno.test("runLoadtest() fails with a clear error when no broker answers", async () => {
  const port = freePort();
  await assert.rejects(
    withDeadline(
      runLoadtest(config(["--events", "1000"], `127.0.0.1:${port}`), { write: () => {} }),
      120_000,
      { what: "loadtest against a closed port" },
    ),
    (error: Error) => {
      assert.match(error.message, new RegExp(`Cannot reach Kafka at 127\\.0\\.0\\.1:${port}`));
      return true;
    },
  );
});
