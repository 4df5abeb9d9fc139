/**
 * Nothing lost, nothing let in: poison pills and 10,000 random payloads mixed into a valid
 * stream go through Kafka into `train --predictions` (a subprocess). Every bad record lands in
 * `<topic>.dlq` exactly once with the right reason and source offset, every valid event is
 * trained exactly once, the lag reaches zero, the weights equal those of the valid stream alone,
 * and the predictions topic holds one prediction per valid event and none for bad records.
 */
import assert from "node:assert/strict";
import { testBrokers, uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { dropTopics, spawnTrain, waitForWeights } from "../_helpers/train_process.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { KafkaClient } from "../../src/kafka/client.ts";
import { type ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import { EventProducer, type RawRecord } from "../../src/kafka/producer.ts";
import { readDeadLetter } from "../../src/kafka/dead_letters.ts";
import { encodeEvent, tryDecodeEvent } from "../../src/events/schema.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { Random } from "../../src/util/random.ts";

const brokers = await testBrokers();
const enc = new TextEncoder();
const client = new KafkaClient({ brokers });

const BASE = '"user_id": 7, "url": "/home?abcdef", "session_id": "poison", "timestamp": 1764080412';
/** Hand-made poison pills and the reason each must be dead-lettered with. */
const PILLS: [string, string | Uint8Array][] = [
  ["not_json", "this is not json"],
  ["not_json", "NaN"],
  [
    "wrong_type",
    `{"user_id": "7", "url": "/a", "action": "view", "session_id": "s", "timestamp": 1764080412}`,
  ],
  ["missing_field", `{"url": "/a", "action": "view", "session_id": "s", "timestamp": 1764080412}`],
  ["unknown_action", `{${BASE}, "action": "teleport"}`],
  ["invalid_value", `{${BASE}, "action": "purchase", "amount": -5}`],
  ["invalid_value", `{${BASE}, "action": "purchase", "amount": 1e999}`],
  ["amount_required", `{${BASE}, "action": "purchase"}`],
  ["amount_forbidden", `{${BASE}, "action": "view", "amount": 3}`],
  [
    "out_of_range",
    `{"user_id": 7, "url": "/a", "action": "view", "session_id": "s", "timestamp": 4102444801}`,
  ],
  ["not_utf8", new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])],
  ["not_object", "[1, 2, 3]"],
  [
    "too_large",
    JSON.stringify({
      user_id: 1,
      url: "/a",
      action: "view",
      session_id: "s",
      timestamp: 1764080412,
      pad: "x".repeat(1024 * 1024),
    }),
  ],
];

function randomPayload(r: Random): Uint8Array {
  const kind = r.nextInt(3);
  if (kind === 0) return Uint8Array.from({ length: 1 + r.nextInt(80) }, () => r.nextInt(256));
  const event: Record<string, unknown> = {
    user_id: 1 + r.nextInt(1000),
    url: "/x?y",
    action: ["click", "view", "scroll", "purchase"][r.nextInt(4)],
    session_id: `r${r.nextInt(50)}`,
    timestamp: 1764080412 + r.nextInt(1000),
  };
  if (event.action === "purchase") event.amount = 1 + r.nextInt(100);
  const keys = Object.keys(event);
  const key = keys[r.nextInt(keys.length)];
  const junk = [null, "", -1, 1.5, true, [], {}, "purchase", 1e20, "1764080412"][r.nextInt(10)];
  if (kind === 1) event[key] = junk;
  else delete event[key];
  return enc.encode(JSON.stringify(event));
}

async function readAll(
  topic: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  await using consumer = await EventConsumer.connect(client, {
    topic,
    groupId: uniqueGroup("reader"),
    startingOffsets: "earliest",
    signal,
  });
  for await (const record of consumer) {
    out.push(record);
    if (out.length >= expected) break;
  }
  return out;
}

Deno.test({
  name:
    "train dead-letters every bad record once, trains every valid one once, and predicts each valid one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const topic = uniqueTopic("poison");
    const validOnly = uniqueTopic("poison-valid");
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    try {
      // The mixed stream: valid events with pills and random payloads between them.
      const generator = new SessionGenerator({ seed: 77 });
      const random = new Random(1234);
      const records: { value: Uint8Array; key: string; expected: string | null }[] = [];
      const pills = [...PILLS];
      let randoms = 10_000;
      let valid = 20_000;
      while (valid > 0 || randoms > 0 || pills.length > 0) {
        const pick = random.nextInt(4);
        if (pick === 0 && pills.length > 0) {
          const [reason, value] = pills.shift()!;
          records.push({
            key: "pill",
            value: typeof value === "string" ? enc.encode(value) : value,
            expected: reason,
          });
        } else if (pick === 1 && randoms > 0) {
          randoms--;
          const value = randomPayload(random);
          const r = tryDecodeEvent(value);
          records.push({ key: "random", value, expected: r.ok ? null : r.error.reason });
        } else if (valid > 0) {
          valid--;
          const event = generator.next();
          records.push({ key: event.session_id, value: encodeEvent(event), expected: null });
        }
      }
      const good = records.filter((r) => r.expected === null);
      const bad = records.filter((r) => r.expected !== null);
      {
        await using admin = await KafkaAdmin.connect(client);
        await admin.ensureTopic(topic);
        await admin.ensureTopic(validOnly);
        await using producer = await EventProducer.connect(client, { topic, acks: "all" });
        await producer.sendRaw(records.map((r): RawRecord => ({ key: r.key, value: r.value })));
        await using valids = await EventProducer.connect(client, { topic: validOnly, acks: "all" });
        await valids.sendRaw(good.map((r): RawRecord => ({ key: r.key, value: r.value })));
      }

      const mixed = spawnTrain(brokers, topic, {
        stateDir: dirs[0],
        group: uniqueGroup(),
        args: ["--predictions", "--trigger", "100ms", "--max-batch-events", "5000"],
      });
      const w = await waitForWeights(mixed, (w) => w.lag === 0 && w.events_trained >= good.length);
      assert.equal((await mixed.stop("SIGINT")).code, 0);
      assert.equal(w.events_trained, good.length);
      const badCount = Object.values(w.bad_records).reduce((a, b) => a + b, 0);
      assert.equal(badCount, bad.length);

      const clean = spawnTrain(brokers, validOnly, {
        stateDir: dirs[1],
        group: uniqueGroup(),
        args: ["--trigger", "100ms"],
      });
      const w2 = await waitForWeights(clean, (w) => w.events_trained >= good.length);
      assert.equal((await clean.stop("SIGINT")).code, 0);
      assert.deepEqual(w.weights, w2.weights);
      assert.equal(w.intercept, w2.intercept);

      // Dead letters: exactly the bad records, each once, with its reason and source offset.
      const offsetOf = new Map<number, string>();
      records.forEach((r, offset) => {
        if (r.expected !== null) offsetOf.set(offset, r.expected);
      });
      const letters = await readAll(`${topic}.dlq`, bad.length);
      const seen = new Map<number, string>();
      for (const letter of letters) {
        const info = readDeadLetter(letter);
        assert.ok(info, "a dead letter without dlq headers");
        assert.equal(info.source.topic, topic);
        assert.ok(
          !seen.has(info.source.offset),
          `offset ${info.source.offset} dead-lettered twice`,
        );
        seen.set(info.source.offset, info.reason);
        assert.deepEqual(letter.value, records[info.source.offset].value);
      }
      assert.deepEqual(seen, offsetOf);

      // Predictions: after dropping repeats by (partition, offset), one per valid event.
      const predictions = await readAll(`${topic}.predictions`, good.length);
      const predicted = new Set<string>();
      for (const p of predictions) {
        const body = JSON.parse(new TextDecoder().decode(p.value!));
        assert.ok(body.p_purchase > 0 && body.p_purchase < 1);
        assert.equal(typeof body.model_version, "number");
        predicted.add(`${body.partition}:${body.offset}`);
        assert.ok(!offsetOf.has(body.offset), `a prediction for bad record ${body.offset}`);
      }
      assert.equal(predicted.size, good.length);
    } finally {
      for (const d of dirs) await Deno.remove(d, { recursive: true });
      await dropTopics(
        brokers,
        topic,
        `${topic}.dlq`,
        `${topic}.predictions`,
        validOnly,
        `${validOnly}.dlq`,
      );
    }
  },
});
