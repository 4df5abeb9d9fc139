import assert from "node:assert/strict";
import { SessionStore } from "../../src/learn/session_store.ts";
import {
  encodeSessionChunks,
  restoreSessions,
  SessionStoreDecoder,
  sessionStoreHead,
} from "../../src/learn/session_store_codec.ts";
import { FIELD_FEATURES } from "../../src/learn/field_features.ts";
import { POSITION_FEATURES } from "../../src/learn/position_features.ts";
import { ACTIONS } from "../../src/events/wire.ts";
import { Random } from "../../src/util/random.ts";

const T0 = 1_700_000_000;

/** A store of the `fields` layout after `n` events over `sessions` ids, some of them odd. */
function filledStore(n: number, sessions: number, maxSessions = 100_000): SessionStore {
  const store = new SessionStore({ layout: FIELD_FEATURES.layout, maxSessions });
  const random = new Random(5);
  const odd = ["\ud800", "é-ü", "😀x", "\udfff\ud800", "a".repeat(300)];
  for (let i = 0; i < n; i++) {
    const s = Math.floor(random.next() * sessions);
    const action = ACTIONS[Math.floor(random.next() * ACTIONS.length)];
    store.record({
      session_id: s < odd.length ? odd[s] : `session-${s}`,
      timestamp: T0 + i * 0.37,
      url: `/p/${s % 7}`,
      action,
      ...(action === "purchase" ? { amount: 1 + random.next() * 99 } : {}),
    });
  }
  for (const [i, id] of odd.entries()) {
    store.record({ session_id: id, timestamp: T0 + n * 0.37 + i, url: "/", action: "view" });
  }
  return store;
}

function roundTrip(store: SessionStore, maxBytes?: number): SessionStore {
  const decoder = new SessionStoreDecoder(sessionStoreHead(store), store.layout);
  for (const chunk of encodeSessionChunks(store, maxBytes)) decoder.add(chunk);
  return decoder.finish();
}

/** The stores' slots, as their bits. */
function bits(store: SessionStore): string {
  const json = store.toJSON();
  return Array.from(new Uint8Array(Float64Array.from(json.fields).buffer)).join() +
    JSON.stringify(json.ids);
}

Deno.test("session chunks restore a store exactly: ids (lone surrogates too), numbers bit for bit, order, counters", () => {
  const store = filledStore(20_000, 3_000, 2_000);
  assert.ok(store.evicted > 0);
  const again = roundTrip(store, 4096);
  assert.deepEqual(again.toJSON(), store.toJSON());
  assert.equal(bits(again), bits(store));
  assert.ok(store.toJSON().ids.some((id) => !id.isWellFormed()), "a lone surrogate among the ids");
});

Deno.test("session chunks stay within the size asked for, and a restored store goes on as the original", () => {
  const store = filledStore(5_000, 800);
  let chunks = 0;
  for (const chunk of encodeSessionChunks(store, 2000)) {
    chunks++;
    assert.ok(chunk.length <= 2000, `a chunk of ${chunk.length} bytes`);
  }
  assert.ok(chunks > 10, `${chunks} chunks`);
  const again = roundTrip(store, 2000);
  for (const s of [store, again]) {
    s.record({ session_id: "session-3", timestamp: T0 + 4000, url: "/x", action: "view" });
    s.record({ session_id: "new", timestamp: T0 + 9000, url: "/y", action: "click" });
  }
  assert.equal(bits(again), bits(store));
  assert.equal(again.expired, store.expired);
});

Deno.test("reused chunks are the same bytes as fresh ones, each valid until the next is asked for", () => {
  const store = filledStore(20_000, 3_000, 2_000);
  const fresh = [...encodeSessionChunks(store, 4096)];
  const views: Uint8Array[] = [];
  const decoder = new SessionStoreDecoder(sessionStoreHead(store), store.layout);
  for (const chunk of encodeSessionChunks(store, 4096, { reuse: true })) {
    assert.deepEqual(chunk, fresh[views.length]);
    decoder.add(chunk);
    views.push(chunk);
  }
  assert.equal(views.length, fresh.length);
  assert.ok(views.length > 10);
  // One buffer of the chunk size (replaced only for a session bigger than that).
  assert.equal(new Set(views.map((v) => v.buffer)).size, 1);
  assert.equal(bits(decoder.finish()), bits(store));
});

Deno.test("a session larger than the chunk size gets a chunk of its own", () => {
  const store = new SessionStore();
  store.record({ session_id: "x".repeat(1000), timestamp: T0, url: "/", action: "view" });
  store.record({ session_id: "y", timestamp: T0, url: "/", action: "view" });
  const chunks = [...encodeSessionChunks(store, 100)];
  assert.equal(chunks.length, 2);
  assert.deepEqual(roundTrip(store, 100).toJSON(), store.toJSON());
});

Deno.test("an empty store has no chunks and restores empty", () => {
  const store = new SessionStore({ idleSeconds: 60, maxSessions: 9 });
  assert.deepEqual([...encodeSessionChunks(store)], []);
  assert.deepEqual(roundTrip(store).toJSON(), store.toJSON());
});

Deno.test("SessionStoreDecoder refuses damaged chunks and heads, saying what is wrong", () => {
  const store = filledStore(300, 50);
  const head = sessionStoreHead(store);
  const [chunk] = [...encodeSessionChunks(store)];
  const decoder = () => new SessionStoreDecoder(head, store.layout);
  assert.throws(() => decoder().add(chunk.subarray(0, 5)), /shorter than its head/);
  assert.throws(() => decoder().add(chunk.subarray(0, 100)), /do not fit/);
  const tooMany = chunk.slice();
  new DataView(tooMany.buffer).setUint32(0, head.sessions + 1, true);
  assert.throws(
    () => decoder().add(tooMany),
    new RegExp(`${head.sessions + 1} sessions, ${head.sessions} remain`),
  );
  const badText = chunk.slice();
  new DataView(badText.buffer).setUint32(4, 7, true);
  assert.throws(() => decoder().add(badText), /text encoding 7/);
  const cut = chunk.subarray(0, chunk.length - 3);
  assert.throws(() => decoder().add(cut), /code units|not UTF-8|take \d+ bytes/);
  const twice = new SessionStoreDecoder({ ...head, sessions: 2 * head.sessions }, store.layout);
  twice.add(chunk);
  assert.throws(() => twice.add(chunk), /appears twice/);
  const missing = new SessionStoreDecoder({ ...head, sessions: head.sessions + 1 }, store.layout);
  missing.add(chunk);
  assert.throws(
    () => missing.finish(),
    new RegExp(`1 of its ${head.sessions + 1} sessions are missing`),
  );
  assert.throws(
    () => new SessionStoreDecoder(head, POSITION_FEATURES.layout),
    /saved sessions are of layout "actions".*not "window"/,
  );
  assert.throws(
    () => new SessionStoreDecoder({ ...head, sessions: -1 }, store.layout),
    /is not a session store's head/,
  );
});

Deno.test("restoreSessions takes a store of the layout over and refuses one of another layout", () => {
  const store = filledStore(100, 10);
  assert.equal(restoreSessions(store, FIELD_FEATURES.layout), store);
  assert.deepEqual(
    restoreSessions(store.toJSON(), FIELD_FEATURES.layout).toJSON(),
    store.toJSON(),
  );
  assert.throws(
    () => restoreSessions(store, POSITION_FEATURES.layout),
    /sessions are of layout "actions".*not "window"/,
  );
});
