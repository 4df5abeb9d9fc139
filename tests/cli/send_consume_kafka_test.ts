/**
 * The `send`, `consume` and `topics` commands run as the user runs them: `deno run src/main.ts`
 * in a subprocess, against the real test broker.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics } from "../_helpers/train_process.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { EventProducer } from "../../src/kafka/producer.ts";

const brokers = await testBrokers();
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

async function cli(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { KAFKA_BROKERS: brokers, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("send then consume --typed round-trips every event in order", async () => {
  const topic = uniqueTopic("cli-send");
  try {
    const sent = await cli(["send", "--topic", topic, "--count", "25", "--partitions", "2"]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /created topic .* \(2 partition\(s\)\)/);
    assert.match(sent.stdout, /sent 25 events/);
    const lines = sent.stdout.split("\n").filter((l) => l.startsWith("{"));
    assert.equal(lines.length, 25);

    const got = await cli([
      "consume",
      "--topic",
      topic,
      "--from-beginning",
      "--typed",
      "--max",
      "25",
    ]);
    assert.equal(got.code, 0, got.stderr);
    const typed = got.stdout.trim().split("\n");
    assert.equal(typed.length, 25);
    for (const line of typed) assert.match(line, /^(ClickEvent|PurchaseEvent) /);
    // Per session, the order of sending is the order of consuming.
    const bySession = (jsons: string[]) => {
      const m = new Map<string, string[]>();
      for (const j of jsons) {
        const e = JSON.parse(j);
        m.set(e.session_id, [...(m.get(e.session_id) ?? []), j]);
      }
      return m;
    };
    const consumedJson = typed.map((l) => l.slice(l.indexOf("{")));
    assert.deepEqual(bySession(consumedJson), bySession(lines));
  } finally {
    await dropTopics(brokers, topic, `${topic}.dlq`);
  }
});

Deno.test("consume --typed reports a bad record with its reason and goes on", async () => {
  const topic = uniqueTopic("cli-bad");
  const client = new KafkaClient({ brokers });
  try {
    {
      await using admin = await KafkaAdmin.connect(client);
      await admin.ensureTopic(topic);
    }
    {
      await using producer = await EventProducer.connect(client, { topic });
      await producer.sendRaw([
        {
          value:
            '{"user_id": 1, "url": "/a", "action": "view", "session_id": "s1", "timestamp": 1764080412}',
        },
        {
          value:
            '{"user_id": "one", "url": "/a", "action": "view", "session_id": "s1", "timestamp": 1764080412}',
        },
        { value: "not json at all" },
        {
          value:
            '{"user_id": 1, "url": "/b", "action": "purchase", "session_id": "s1", "timestamp": 1764080413, "amount": 9.5}',
        },
      ]);
    }
    const got = await cli([
      "consume",
      "--topic",
      topic,
      "--from-beginning",
      "--typed",
      "--max",
      "4",
    ]);
    assert.equal(got.code, 0, got.stderr);
    const lines = got.stdout.trim().split("\n");
    assert.match(lines[0], /^ClickEvent /);
    assert.match(lines[1], /^BAD .*@1 wrong_type \(user_id\): user_id must be a number/);
    assert.match(lines[2], /^BAD .*@2 not_json: /);
    assert.match(lines[3], /^PurchaseEvent .*"amount":9.5/);
  } finally {
    await dropTopics(brokers, topic, `${topic}.dlq`);
  }
});

Deno.test("topics create and list show the topic with its partitions", async () => {
  const topic = uniqueTopic("cli-topics");
  try {
    const created = await cli(["topics", "create", topic, "--partitions", "3"]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`created ${topic} \\(3 partition\\(s\\)\\)`));
    const again = await cli(["topics", "create", topic]);
    assert.match(again.stdout, /exists/);
    const listed = await cli(["topics", "list"]);
    assert.ok(listed.stdout.split("\n").includes(topic));
  } finally {
    await dropTopics(brokers, topic, `${topic}.dlq`);
  }
});

Deno.test("the CLI exits 2 with the usage on a bad flag and 1 naming the address on a dead broker", async () => {
  const bad = await cli(["consume", "--max", "zero"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max/);
  assert.match(bad.stderr, /Usage: clickstream consume/);
  const dead = await cli(["topics", "list", "--brokers", "127.0.0.1:1"]);
  assert.equal(dead.code, 1);
  assert.match(dead.stderr, /127\.0\.0\.1:1/);
});
