/**
 * `consume`: prints the records of a topic, one line each, until Ctrl-C or `--max`. The value
 * is printed as it is (JSON events print as JSON lines); records with headers — dead letters,
 * whose headers say why and where from — print their headers first. With `--typed` each record
 * is decoded into a `ClickEvent` or `PurchaseEvent`, and a bad record prints the typed error
 * naming the field and the reason, and the stream goes on.
 *
 * @module
 */

import type { ConsumeConfig } from "./consume_config.ts";
import { type ConsumedRecord, EventConsumer } from "../kafka/consumer.ts";
import { tryDecodeEvent } from "../events/schema.ts";
import { toTypedEvent } from "../events/factory.ts";
import { clientFor, shutdownSignal } from "./kafka_client.ts";

const text = new TextDecoder();

function headerText(record: ConsumedRecord): string {
  const entries = Object.entries(record.headers);
  if (entries.length === 0) return "";
  return entries.map(([name, value]) => `${name}=${JSON.stringify(text.decode(value))}`).join(" ") +
    " ";
}

/** Formats one record as `consume` prints it. */
export function formatRecord(record: ConsumedRecord, typed: boolean): string {
  const where = `${record.topic}/${record.partition}@${record.offset}`;
  if (!typed) {
    const value = record.value === null ? "(tombstone)" : text.decode(record.value);
    return `${headerText(record)}${value}`;
  }
  const result = tryDecodeEvent(record.value);
  if (!result.ok) {
    const field = result.error.field === null ? "" : ` (${result.error.field})`;
    return `BAD ${where} ${result.error.reason}${field}: ${result.error.message}`;
  }
  const event = toTypedEvent(result.event);
  return `${event.constructor.name} ${where} ${JSON.stringify(event)}`;
}

/** Runs `consume`; resolves to the exit code. */
export async function runConsume(
  config: ConsumeConfig,
  log: (line: string) => void = console.log,
): Promise<number> {
  const shutdown = shutdownSignal();
  try {
    await using consumer = await EventConsumer.connect(clientFor(config), {
      topic: config.topic,
      groupId: config.group ?? `clickstream-consume-${crypto.randomUUID()}`,
      startingOffsets: config.fromBeginning ? "earliest" : "latest",
      autoCommit: true,
      signal: shutdown.signal,
    });
    let seen = 0;
    for await (const record of consumer) {
      log(formatRecord(record, config.typed));
      if (config.max !== null && ++seen >= config.max) break;
    }
  } finally {
    shutdown.dispose();
  }
  return 0;
}
