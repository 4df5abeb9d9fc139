/**
 * Shared helpers of the Kafka integration tests: take N records from a consumer with a
 * deadline, count its fetch rounds, and build deterministic test events.
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
 * Counts a consumer's fetch rounds: pass `onFetch` as the consumer's `onFetch` option, then
 * `await rounds(n)` waits for `n` more rounds after the call (failing after `timeoutMs`, saying
 * how many came). The way to wait for "the consumer has looked again", in rounds, not in time.
 */
export function fetchRounds(timeoutMs = 30_000): {
  onFetch: () => void;
  count: () => number;
  rounds: (n: number) => Promise<void>;
} {
  let count = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  return {
    onFetch: () => {
      count++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (count >= waiters[i].at) waiters.splice(i, 1)[0].resolve();
      }
    },
    count: () => count,
    rounds: (n) => {
      const start = count;
      let timer: ReturnType<typeof setTimeout> | undefined;
      return new Promise<void>((resolve, reject) => {
        const waiter = {
          at: start + n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        waiters.push(waiter);
        timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${count - start} of ${n} fetch rounds in ${timeoutMs} ms`));
        }, timeoutMs);
      });
    },
  };
}

/**
 * Every record that arrives until `until` settles (it rejecting rejects this). Takes records with
 * the iterator's non-blocking `nextReady()`, looking every 10 ms, so that no `next()` is left
 * waiting afterwards to swallow a record meant for the caller's next `take()`.
 */
export async function drainUntil(
  consumer: EventConsumer,
  until: Promise<unknown>,
): Promise<ConsumedRecord[]> {
  const got: ConsumedRecord[] = [];
  const it = consumer[Symbol.asyncIterator]();
  let ended = false;
  const end = until.then(() => {
    ended = true;
  });
  for (;;) {
    for (let r = it.nextReady(); r !== undefined && !r.done; r = it.nextReady()) got.push(r.value);
    if (ended) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([end, new Promise((r) => timer = setTimeout(r, 10))]);
    clearTimeout(timer);
  }
  await it.return?.();
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
