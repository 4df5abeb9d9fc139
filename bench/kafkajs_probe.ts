/**
 * The measurements behind `docs/kafkajs-on-deno.md`: kafkajs 2.2.4 under Deno against the local
 * Kafka 4.1.2. It starts its own broker (or uses `--brokers`), then records which protocol
 * versions kafkajs negotiates, producer throughput (idempotent, plain with several sends in
 * flight, gzip), consumer throughput, group join/rejoin times and how fast an unreachable broker
 * is reported. Prints one line per measurement.
 *
 * ```sh
 * deno run -A bench/kafkajs_probe.ts [--events 200000] [--brokers 127.0.0.1:9092]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort, startBroker } from "../dev/kafka/broker.ts";
import { KafkaAdmin } from "../src/kafka/admin.ts";
import { KafkaClient, type KafkaLogLine } from "../src/kafka/client.ts";
import { EventConsumer } from "../src/kafka/consumer.ts";
import { EventProducer, type EventProducerOptions } from "../src/kafka/producer.ts";
import type { WireEvent } from "../src/events/wire.ts";
import { typedRecords } from "../src/events/typed_records.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "200000" },
    brokers: { type: "string" },
  },
});
const N = Number(values.events);

function events(n: number): WireEvent[] {
  const out: WireEvent[] = [];
  for (let i = 0; i < n; i++) {
    const s = i % 5000;
    out.push({
      user_id: 1 + (s * 7919) % 100_000,
      url: `/products?${(i * 2654435761 % 1e9).toString(36).padEnd(6, "x").slice(0, 6)}`,
      action: i % 3 === 0 ? "purchase" : "view",
      session_id: `s${s.toString(36).padStart(9, "0")}`,
      timestamp: 1_764_080_000 + (i >> 10),
      ...(i % 3 === 0 ? { amount: 129.99 } : {}),
    } as WireEvent);
  }
  return out;
}

function report(name: string, fields: Record<string, string | number>): void {
  console.log(
    `${name.padEnd(44)} ${
      Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "number" ? Math.round(v) : v}`)
        .join("  ")
    }`,
  );
}

await using broker = values.brokers ? undefined : await startBroker();
const brokers = values.brokers ?? broker!.brokers;
console.log(`kafkajs 2.2.4 on Deno ${Deno.version.deno} against ${brokers}, ${N} events`);

// 1. Protocol versions kafkajs picks (from its debug log of each request).
const versions = new Map<string, string>();
const logger = (line: KafkaLogLine) => {
  const m = /^Request (\w+)\(key: (\d+), version: (\d+)\)/.exec(line.message);
  if (m) versions.set(m[1], `v${m[3]}`);
};
const debugClient = new KafkaClient({ brokers, logLevel: "debug", logger });
const client = new KafkaClient({ brokers });
const data = events(N);
const bytes = data.reduce((n, e) => n + JSON.stringify(e).length, 0);

async function produce(
  name: string,
  topic: string,
  options: Partial<EventProducerOptions>,
  concurrency: number,
) {
  {
    await using admin = await KafkaAdmin.connect(client);
    await admin.ensureTopic(topic, { partitions: 4 });
  }
  await using producer = await EventProducer.connect(name === "idempotent" ? debugClient : client, {
    topic,
    ...options,
  });
  const t0 = performance.now();
  const chunk = 5000;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < data.length) {
      const from = next;
      next += chunk;
      await producer.send(data.slice(from, from + chunk));
    }
  }));
  const s = (performance.now() - t0) / 1000;
  report(`produce ${name}`, {
    events_per_s: N / s,
    MB_per_s: (bytes / 1e6 / s).toFixed(1),
    seconds: s.toFixed(2),
  });
}

const tag = crypto.randomUUID().slice(0, 8);
await produce("idempotent", `probe-idem-${tag}`, { idempotent: true }, 1);
await produce("plain acks=all, 4 sends in flight", `probe-plain-${tag}`, { acks: "all" }, 4);
await produce("plain acks=leader, 4 sends in flight", `probe-leader-${tag}`, { acks: "leader" }, 4);
await produce("gzip acks=all, 4 sends in flight", `probe-gzip-${tag}`, { compression: "gzip" }, 4);
report("negotiated versions", Object.fromEntries(versions));

// 2. Consumer throughput, and join / rejoin times.
{
  const groupId = `probe-${tag}`;
  let t0 = performance.now();
  const consumer = await EventConsumer.connect(debugClient, {
    topic: `probe-plain-${tag}`,
    groupId,
    startingOffsets: "earliest",
  });
  report("consumer connect + join (new group)", { ms: performance.now() - t0 });
  t0 = performance.now();
  let n = 0;
  for await (const _ of consumer) if (++n === N) break;
  const s = (performance.now() - t0) / 1000;
  report("consume (raw records)", { events_per_s: N / s, seconds: s.toFixed(2) });
  await consumer.close();
  t0 = performance.now();
  const again = await EventConsumer.connect(client, { topic: `probe-plain-${tag}`, groupId });
  report("consumer rejoin after close (same group)", { ms: performance.now() - t0 });
  t0 = performance.now();
  const second = await EventConsumer.connect(client, { topic: `probe-plain-${tag}`, groupId });
  const joined = performance.now() - t0;
  for (let i = 0; i < 50 && again.assignment()[0]?.partitions.length === 4; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  report("second member joins (rebalance)", {
    ms: joined,
    first: JSON.stringify(again.assignment()[0]?.partitions ?? []),
    second: JSON.stringify(second.assignment()[0]?.partitions ?? []),
  });
  await Promise.all([again.close(), second.close()]);
  report("negotiated versions (with consumer)", Object.fromEntries(versions));
}

// 3. Typed decode throughput.
{
  const consumer = await EventConsumer.connect(client, {
    topic: `probe-gzip-${tag}`,
    groupId: `probe-typed-${tag}`,
    startingOffsets: "earliest",
  });
  const t0 = performance.now();
  let n = 0, bad = 0;
  for await (const item of typedRecords(consumer)) {
    if (!item.ok) bad++;
    if (++n === N) break;
  }
  const s = (performance.now() - t0) / 1000;
  report("consume gzip + typed decode", { events_per_s: N / s, bad, seconds: s.toFixed(2) });
  await consumer.close();
}

// 4. Unreachable broker: how long until a clear error, with the default settings.
{
  const port = freePort();
  const t0 = performance.now();
  const error = await EventProducer.connect(new KafkaClient({ brokers: `127.0.0.1:${port}` }), {
    topic: "x",
  }).then(() => undefined, (e: Error) => e);
  report("unreachable broker (default retry)", {
    ms: performance.now() - t0,
    error: JSON.stringify(error?.message.slice(0, 90)),
  });
}
