/**
 * `send`: writes a few clicks and purchases, as the original's `sent_events.py` did, and with
 * `--loop` a round every `--interval` until Ctrl-C. The events come from the session generator
 * (the same signal the load test and the learner use) with wall-clock timestamps.
 *
 * @module
 */

import type { SendConfig } from "./send_config.ts";
import { KafkaAdmin } from "../kafka/admin.ts";
import { EventProducer } from "../kafka/producer.ts";
import { SessionGenerator } from "../generator/session_generator.ts";
import { stringifyEvent } from "../events/schema.ts";
import { clientFor, shutdownSignal } from "./kafka_client.ts";
import { sleep } from "../util/clock.ts";

/** Where `send` writes its lines; injected by tests. */
export interface SendIO {
  /** One line of output. Default: `console.log`. */
  log?: (line: string) => void;
  /** Seed of the generator. Default: random. */
  seed?: number;
}

/** Runs `send`; resolves to the exit code. */
export async function runSend(config: SendConfig, io: SendIO = {}): Promise<number> {
  const log = io.log ?? console.log;
  const client = clientFor(config);
  {
    await using admin = await KafkaAdmin.connect(client);
    if (await admin.ensureTopic(config.topic, { partitions: config.partitions })) {
      log(`created topic ${config.topic} (${config.partitions} partition(s))`);
    }
  }
  await using producer = await EventProducer.connect(client, {
    topic: config.topic,
    acks: "all",
    idempotent: true,
  });
  const generator = new SessionGenerator({
    seed: io.seed ?? Math.floor(Math.random() * 2 ** 31),
    clock: () => Math.floor(Date.now() / 1000),
  });
  const shutdown = shutdownSignal();
  try {
    let round = 0;
    do {
      const events = Array.from({ length: config.count }, () => generator.next());
      const result = await producer.send(events);
      for (const event of events) log(stringifyEvent(event));
      const purchases = events.filter((e) => e.action === "purchase").length;
      log(
        `sent ${result.records} events (${purchases} purchases, ${result.bytes} bytes) to ${config.topic}${
          config.loop ? ` [round ${++round}]` : ""
        }`,
      );
      if (!config.loop) break;
      await sleep(config.intervalMs, { signal: shutdown.signal });
    } while (!shutdown.signal.aborted);
  } finally {
    shutdown.dispose();
  }
  return 0;
}
