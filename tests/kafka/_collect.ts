/**
 * Shared helpers of the Kafka integration tests: take N records from a consumer with a
 * deadline, and build deterministic test events.
 *
 * @module
 */

import type { ConsumedRecord, EventConsumer } from "../../src/kafka/consumer.ts";
import type { WireEvent } from "../../src/events/wire.ts";

/**
 * Takes exactly `n` records (then stops iterating, which counts the last as processed), or
 * throws after `timeoutMs` saying how many arrived.
 */
export async function take(
  consumer: EventConsumer,
  n: number,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const got: ConsumedRecord[] = [];
  if (n === 0) return got;
  const it = consumer[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    while (got.length < n) {
      const result = await Promise.race([it.next(), deadline]);
      if (result === "timeout") {
        throw new Error(`took ${got.length} of ${n} records in ${timeoutMs} ms`);
      }
      if (result.done) throw new Error(`the consumer ended after ${got.length} of ${n} records`);
      got.push(result.value);
    }
    await it.return?.();
    return got;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms` and returns every record that arrived meanwhile (for "nothing more" checks). */
export async function drain(consumer: EventConsumer, ms: number): Promise<ConsumedRecord[]> {
  const got: ConsumedRecord[] = [];
  const it = consumer[Symbol.asyncIterator]();
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      it.next(),
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
    ]);
    clearTimeout(timer);
    if (result === "timeout" || result.done) break;
    got.push(result.value);
  }
  return got;
}

/**
 * `n` valid events over `sessions` sessions; within a session the `url` carries a running
 * sequence number (`/products?s<session>n<seq>` style is not needed: `seq` is in the url query).
 */
export function makeEvents(n: number, sessions = 10): WireEvent[] {
  const events: WireEvent[] = [];
  const seq = new Array(sessions).fill(0);
  for (let i = 0; i < n; i++) {
    const s = i % sessions;
    const k = seq[s]++;
    const purchase = k % 7 === 6;
    events.push({
      user_id: 1 + s,
      url: `/products?${String(k).padStart(6, "0")}`,
      action: purchase ? "purchase" : (["click", "view", "scroll"] as const)[k % 3],
      session_id: `sess${String(s).padStart(6, "0")}`,
      timestamp: 1_764_080_000 + i,
      ...(purchase ? { amount: 10 + (k % 50) + 0.99 } : {}),
    } as WireEvent);
  }
  return events;
}

/** The sequence number of a {@linkcode makeEvents} event. */
export function seqOf(event: { url: string }): number {
  return Number(event.url.split("?")[1]);
}
