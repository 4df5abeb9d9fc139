import assert from "node:assert/strict";
import type { ConsumedRecord } from "../../src/kafka/consumer.ts";
import { ReconnectingConsumer, type RecordSource } from "../../src/kafka/reconnecting_consumer.ts";

function record(offset: number): ConsumedRecord {
  return { topic: "t", partition: 0, offset, key: null, value: null, headers: {}, timestamp: 0 };
}

/** A fake consumer: yields `offsets`, then throws `failWith` (or waits until closed). */
class FakeSource implements RecordSource {
  closed = false;
  commits = 0;
  #wake = Promise.withResolvers<void>();
  constructor(readonly offsets: number[], readonly failWith?: Error) {}
  async *[Symbol.asyncIterator]() {
    for (const o of this.offsets) yield record(o);
    if (this.failWith) throw this.failWith;
    await this.#wake.promise;
  }
  commit() {
    this.commits++;
    return Promise.resolve();
  }
  close() {
    this.closed = true;
    this.#wake.resolve();
    return Promise.resolve();
  }
}

Deno.test("ReconnectingConsumer replaces a failed consumer with backoff and goes on", async () => {
  const first = new FakeSource([0, 1], new Error("The consumer crashed: broker gone"));
  const second = new FakeSource([2, 3]);
  let attempts = 0;
  const waits: number[] = [];
  const reconnected: number[] = [];
  const source = await ReconnectingConsumer.connect<FakeSource>(() => {
    attempts++;
    if (attempts === 1) return Promise.resolve(first);
    if (attempts <= 3) return Promise.reject(new Error("Cannot reach Kafka"));
    return Promise.resolve(second);
  }, {
    initialBackoffMs: 1,
    maxBackoffMs: 4,
    onReconnecting: (_e, _attempt, delayMs) => waits.push(delayMs),
    onReconnected: (n) => reconnected.push(n),
  });
  const seen: number[] = [];
  for await (const r of source) {
    seen.push(r.offset);
    if (r.offset === 3) break;
  }
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.ok(first.closed, "the failed consumer was closed");
  assert.deepEqual(waits, [1, 2, 4]);
  assert.deepEqual(reconnected, [3]);
  assert.equal(source.reconnects, 1);
  assert.equal(source.current, second);
  await source.commit();
  assert.equal(second.commits, 1);
  await source.close();
  assert.ok(second.closed);
});

Deno.test("ReconnectingConsumer.close() stops the reconnect loop and ends the iteration", async () => {
  const first = new FakeSource([], new Error("gone"));
  const source = await ReconnectingConsumer.connect(() => {
    if (first.closed) return Promise.reject(new Error("still gone"));
    return Promise.resolve(first);
  }, { initialBackoffMs: 50, maxBackoffMs: 50 });
  const iteration = (async () => {
    for await (const _ of source) { /* nothing comes */ }
  })();
  await new Promise((r) => setTimeout(r, 120));
  await source.close();
  await iteration; // ends, no throw
});

Deno.test("ReconnectingConsumer.connect() does not retry the first connection", async () => {
  let attempts = 0;
  await assert.rejects(
    ReconnectingConsumer.connect(() => {
      attempts++;
      return Promise.reject(new Error("refused the SASL credentials"));
    }),
    /SASL/,
  );
  assert.equal(attempts, 1);
});
