/**
 * What the trainer serves — the snapshot, `/weights`, `/history`, `/purchases`, `/metrics` — is
 * sized independently of how many sessions and users the stream has: the same number of events
 * over 10× more sessions and 10× more users gives bodies of the same shape (the same keys and
 * array lengths, the same `/metrics` series), and the chart history stays at its limit.
 */

import assert from "node:assert/strict";
import { encodeEvent } from "../../src/events/schema.ts";
import type { WireEvent } from "../../src/events/wire.ts";
import { createHandler } from "../../src/http/handler.ts";
import { type SourceRecord, Trainer } from "../../src/stream/trainer.ts";

const T0 = 1_764_000_000;
const EVENTS = 24_000;
const BATCH = 400; // 60 batches
const HISTORY = 25;

/** `EVENTS` events over `sessions` sessions and `users` users, a purchase every 9th. */
function stream(sessions: number, users: number): SourceRecord[] {
  return Array.from({ length: EVENTS }, (_, i) => {
    const event: WireEvent = i % 9 === 4
      ? {
        user_id: 1 + (i * 7919) % users,
        url: "/cart",
        action: "purchase",
        amount: 10 + (i % 50),
        session_id: `s${i % sessions}`,
        timestamp: T0 + Math.floor(i / 10),
      }
      : {
        user_id: 1 + (i * 7919) % users,
        url: "/products?a",
        action: "view",
        session_id: `s${i % sessions}`,
        timestamp: T0 + Math.floor(i / 10),
      };
    return { topic: "t", partition: 0, offset: i, key: null, value: encodeEvent(event) };
  });
}

/** The shape of a JSON value: its keys and array lengths, with every number and string erased. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  }
  return typeof value;
}

/** `/metrics` without its values: the series (name and labels), one per line. */
const series = (text: string) =>
  text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => l.replace(/ \S+$/, ""));

async function served(sessions: number, users: number) {
  const trainer = new Trainer({
    topic: "t",
    learner: { mode: "adagrad", store: { maxSessions: 1_000_000, idleSeconds: 86_400 } },
    historyLimit: HISTORY,
    clock: { now: () => 1_764_000_000_000 },
  });
  const records = stream(sessions, users);
  for (let i = 0; i < records.length; i += BATCH) {
    await trainer.processBatch(records.slice(i, i + BATCH));
  }
  const handler = createHandler({
    snapshot: () => trainer.snapshot,
    clock: { now: () => 1_764_000_000_000 },
  });
  const get = async (path: string) => {
    const response = await handler(new Request(`http://127.0.0.1${path}`));
    assert.equal(response.status, 200, path);
    return await response.text();
  };
  const weights = JSON.parse(await get("/weights"));
  return {
    liveSessions: weights.sessions.live,
    evicted: weights.sessions.evicted,
    liveSeries: (await get("/metrics")).split("\n").find((l) =>
      l.startsWith("clickstream_sessions_live ")
    ),
    history: trainer.snapshot.history.length,
    purchasers: trainer.snapshot.topPurchasers.length,
    weights: shape(weights),
    historyBody: shape(JSON.parse(await get("/history"))),
    purchases: shape(JSON.parse(await get("/purchases?top=1000"))),
    metrics: series(await get("/metrics")),
  };
}

Deno.test("what the trainer serves does not grow with the sessions or the users", async () => {
  const few = await served(1_500, 2_000);
  const many = await served(15_000, 20_000);
  // The stores did hold 10× more sessions ...
  assert.deepEqual([few.liveSessions, many.liveSessions], [1_500, 15_000]);
  assert.deepEqual([few.evicted, many.evicted], [0, 0]);
  assert.equal(many.liveSeries, "clickstream_sessions_live 15000");
  // ... and neither the snapshot nor a body grew with them.
  assert.deepEqual([few.history, many.history], [HISTORY, HISTORY]);
  assert.deepEqual([few.purchasers, many.purchasers], [1000, 1000]);
  assert.deepEqual(many.weights, few.weights);
  assert.deepEqual(many.historyBody, few.historyBody);
  assert.deepEqual(many.purchases, few.purchases);
  assert.deepEqual(many.metrics, few.metrics);
  assert.ok(few.metrics.length > 20, `${few.metrics.length} series`);
});
