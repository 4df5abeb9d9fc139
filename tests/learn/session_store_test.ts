import assert from "node:assert/strict";
import fc from "fast-check";
import { ACTIONS_LAYOUT } from "../../src/learn/field_features.ts";
import { WINDOW_LAYOUT, WINDOW_SECONDS } from "../../src/learn/position_features.ts";
import {
  CORE_LAYOUT,
  type SessionEvent,
  SessionStore,
  type SessionStoreInit,
  type SessionView,
} from "../../src/learn/session_store.ts";
import { slotShape } from "../../src/learn/session_slot.ts";
import { fnv1a32 } from "../../src/util/fnv1a.ts";
import { encodeWtf8Into } from "../../src/util/wtf8.ts";

const T0 = 1_764_000_000;

/** A browse event of session `id` at time `t`. */
function at(id: string, t: number, url = "/home"): SessionEvent {
  return { session_id: id, timestamp: t, url, action: "view" };
}

/** A store of the `position` set's layout (the 5-minute window). */
function windowStore(options: Omit<SessionStoreInit, "layout"> = {}): SessionStore {
  return new SessionStore({ ...options, layout: WINDOW_LAYOUT });
}

/** Records a browse event of session `id` at time `t`. */
function add(store: SessionStore, id: string, t: number): void {
  store.record(at(id, t));
}

Deno.test("SessionStore.record() counts events; the position set's layout tracks the tumbling window", () => {
  const s = windowStore();
  const w0 = Math.floor(T0 / WINDOW_SECONDS) * WINDOW_SECONDS; // start of a window
  add(s, "a", w0 + 10);
  add(s, "a", w0 + 20);
  assert.deepEqual(s.get("a"), {
    start: w0 + 10,
    last: w0 + 20,
    count: 2,
    window: w0 / WINDOW_SECONDS,
    window_count: 2,
    window_first: w0 + 10,
  });
  add(s, "a", w0 + WINDOW_SECONDS + 5);
  const a = s.get("a")!;
  assert.equal(a.count, 3);
  assert.equal(a.window_count, 1);
  assert.equal(a.window_first, w0 + WINDOW_SECONDS + 5);
  assert.equal(a.start, w0 + 10);
});

Deno.test("SessionStore expires sessions idle for more than idleSeconds of event time", async (t) => {
  await t.step("by the watermark", () => {
    const s = windowStore({ idleSeconds: 60 });
    add(s, "a", T0);
    add(s, "b", T0 + 30);
    add(s, "b", T0 + 61);
    assert.equal(s.size, 1);
    assert.equal(s.get("a"), undefined);
    assert.equal(s.expired, 1);
  });
  await t.step("when its own next event comes late", () => {
    const s = windowStore({ idleSeconds: 60 });
    add(s, "a", T0);
    assert.equal(s.lookup("a", T0 + 60), s.lookup("a", T0));
    assert.equal(s.lookup("a", T0 + 61), -1);
    add(s, "a", T0 + 61);
    assert.equal(s.get("a")!.count, 1);
    assert.equal(s.get("a")!.start, T0 + 61);
  });
});

Deno.test("SessionStore evicts the least recently seen session beyond maxSessions", () => {
  const s = windowStore({ maxSessions: 3 });
  add(s, "a", T0);
  add(s, "b", T0);
  add(s, "c", T0);
  add(s, "a", T0 + 1); // a is now the most recent; b the least
  add(s, "d", T0 + 2);
  assert.equal(s.size, 3);
  assert.equal(s.get("b"), undefined);
  assert.ok(s.get("a") && s.get("c") && s.get("d"));
  assert.equal(s.evicted, 1);
});

Deno.test("SessionStore.setBounds: a lower cap or a shorter idle time applies at the next event", () => {
  const s = windowStore({ maxSessions: 10 });
  for (let i = 0; i < 6; i++) add(s, `s${i}`, T0 + 10 * i); // s0 at T0 ... s5 at T0 + 50
  s.setBounds({ maxSessions: 4 });
  assert.deepEqual([s.maxSessions, s.idleSeconds, s.size], [4, 1800, 6], "nothing goes at once");
  add(s, "s5", T0 + 50);
  assert.deepEqual([s.size, s.evicted], [4, 2]);
  assert.equal(s.get("s1"), undefined);
  assert.ok(s.get("s2"));
  s.setBounds({ idleSeconds: 15 });
  assert.deepEqual([s.maxSessions, s.idleSeconds], [4, 15]);
  add(s, "s5", T0 + 50); // the watermark is T0 + 50: s2 (T0 + 20) and s3 (T0 + 30) are idle
  assert.deepEqual([s.size, s.expired], [2, 2]);
  assert.throws(() => s.setBounds({ maxSessions: 0 }), /maxSessions 0: expected a positive/);
  assert.throws(() => s.setBounds({ idleSeconds: -1 }), /idleSeconds -1: expected a positive/);
  assert.deepEqual([s.maxSessions, s.idleSeconds], [4, 15], "a refused bound changes nothing");
});

Deno.test("SessionStore keeps the state of the session whose arrival grows the storage", () => {
  // The slots start at 1024 and double: sessions 1025, 2049 and 4097 each arrive at a growth.
  const s = windowStore();
  for (let i = 0; i < 5000; i++) add(s, `s${i}`, T0 + (i % 600));
  for (let i = 0; i < 5000; i++) {
    const v = s.get(`s${i}`);
    assert.equal(v?.count, 1, `session ${i}`);
    assert.equal(v?.start, T0 + (i % 600), `session ${i}`);
  }
  add(s, "s1024", T0 + 700);
  assert.equal(s.get("s1024")?.count, 2, "its next event continues it");
  assert.equal(s.expired, 0);
});

Deno.test("SessionStore.fromJSON(toJSON()) restores the same state and the same future", () => {
  const a = windowStore({ idleSeconds: 100, maxSessions: 40 });
  const ids = Array.from({ length: 60 }, (_, i) => `s${i}`);
  let t = T0;
  const step = (store: SessionStore, i: number) => add(store, ids[(i * 7919) % 60], t + i);
  for (let i = 0; i < 500; i++) step(a, i);
  const b = SessionStore.fromJSON(JSON.parse(JSON.stringify(a.toJSON())), WINDOW_LAYOUT);
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
  t += 50;
  for (let i = 500; i < 1000; i++) {
    step(a, i);
    step(b, i);
  }
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
});

Deno.test("SessionStore rejects bad options and states", () => {
  assert.throws(() => windowStore({ idleSeconds: 0 }), RangeError);
  assert.throws(() => windowStore({ maxSessions: 1.5 }), RangeError);
  assert.throws(() => SessionStore.fromJSON({ version: 3 } as never), TypeError);
});

Deno.test("SessionStore.fromJSON() restores only into the state's own layout", async (t) => {
  const s = windowStore();
  add(s, "a", T0);
  const state = s.toJSON();
  assert.deepEqual(state.layout, {
    name: "window",
    fields: ["window", "window_count", "window_first"],
  });
  await t.step("its own layout", () => {
    assert.deepStrictEqual(SessionStore.fromJSON(state, WINDOW_LAYOUT).toJSON(), state);
  });
  await t.step("another layout is refused, naming both", () => {
    for (const layout of [CORE_LAYOUT, ACTIONS_LAYOUT]) {
      assert.throws(
        () => SessionStore.fromJSON(state, layout),
        new RegExp(`layout "window" .* not "${layout.name}"`),
      );
    }
  });
  await t.step("a version-1 state (no layout) is the window layout's", () => {
    const { layout: _, ...rest } = state;
    const v1 = { ...rest, version: 1 as const };
    assert.deepStrictEqual(SessionStore.fromJSON(v1, WINDOW_LAYOUT).toJSON(), state);
    assert.throws(() => SessionStore.fromJSON(v1, ACTIONS_LAYOUT), /version 1/);
    assert.throws(() => SessionStore.fromJSON(v1, CORE_LAYOUT), /version 1/);
  });
  await t.step("a state whose numbers do not fit its sessions is refused", () => {
    assert.throws(
      () => SessionStore.fromJSON({ ...state, fields: state.fields.slice(1) }, WINDOW_LAYOUT),
      /5 numbers for 1 sessions of 6 fields/,
    );
  });
});

Deno.test("SessionStore calls the layout's start for a new session and update for a live one", () => {
  const calls: string[] = [];
  const { count, seen } = slotShape(["seen"], ["seen"]).offsets;
  const store = new SessionStore({
    idleSeconds: 100,
    layout: {
      name: "probe",
      fields: ["seen"],
      integers: ["seen"],
      start(_f, u, s, e) {
        calls.push(`start ${e.session_id} ${u[2 * s + count]}`); // the core count is already 1
        u[2 * s + seen] = 1;
      },
      update(_f, u, s, e) {
        calls.push(`update ${e.session_id} ${u[2 * s + count]}`);
        u[2 * s + seen]++;
      },
    },
  });
  add(store, "a", T0);
  add(store, "a", T0 + 10);
  add(store, "b", T0 + 20);
  add(store, "a", T0 + 200); // idle for 190 s > 100: a new session
  assert.deepEqual(calls, ["start a 1", "update a 2", "start b 1", "start a 1"]);
  assert.deepEqual(store.get("a"), { start: T0 + 200, last: T0 + 200, count: 1, seen: 1 });
});

/** A direct reference implementation: an array in recency order, scanned linearly. */
class ReferenceStore {
  sessions: { id: string; v: SessionView }[] = [];
  watermark = -Infinity;
  constructor(readonly idle: number, readonly max: number) {}
  record(id: string, t: number) {
    const w = Math.floor(t / WINDOW_SECONDS);
    const i = this.sessions.findIndex((s) => s.id === id);
    let s = i >= 0 ? this.sessions[i] : undefined;
    if (i >= 0) this.sessions.splice(i, 1);
    if (s && t - s.v.last > this.idle) s = undefined;
    if (!s) {
      s = { id, v: { start: t, last: t, count: 1, window: w, window_count: 1, window_first: t } };
    } else {
      const v = s.v;
      v.last = Math.max(v.last, t);
      v.count++;
      if (w === v.window) {
        v.window_count++;
        v.window_first = Math.min(v.window_first, t);
      } else if (w > v.window) {
        Object.assign(v, { window: w, window_count: 1, window_first: t });
      }
    }
    this.sessions.push(s);
    this.watermark = Math.max(this.watermark, t);
    while (this.sessions.length > 0 && this.sessions[0].v.last < this.watermark - this.idle) {
      this.sessions.shift();
    }
    while (this.sessions.length > this.max) this.sessions.shift();
  }
}

Deno.test("SessionStore agrees with a direct reference implementation on random streams", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: -30, max: 200 })),
        { minLength: 20, maxLength: 300 },
      ),
      fc.integer({ min: 1, max: 8 }),
      (ops, max) => {
        const store = windowStore({ idleSeconds: 250, maxSessions: max });
        const ref = new ReferenceStore(250, max);
        let t = T0;
        for (const [k, dt] of ops) {
          t += dt;
          add(store, `s${k}`, t);
          ref.record(`s${k}`, t);
          assert.equal(store.size, ref.sessions.length);
        }
        assert.deepStrictEqual(store.toJSON().ids, ref.sessions.map((s) => s.id));
        for (const s of ref.sessions) assert.deepStrictEqual(store.get(s.id), s.v);
      },
    ),
    { numRuns: 300 },
  );
});

const utf8 = new TextEncoder();

Deno.test("SessionStore finds a session by its id's bytes as by its string, and never merges two on a hash collision", () => {
  const store = windowStore();
  const a = utf8.encode("xxsession-axx"), b = utf8.encode("session-b");
  // The same hash for both (a caller's hash, used consistently): the index must tell them apart
  // by their bytes.
  const HASH = 12345;
  assert.equal(store.lookupKey(a, 2, 9, HASH, T0), -1);
  store.recordKey(a, 2, 9, HASH, at("session-a", T0));
  store.recordKey(b, 0, 9, HASH, at("session-b", T0 + 1));
  store.recordKey(a, 2, 9, HASH, at("session-a", T0 + 2));
  assert.equal(store.size, 2);
  const count = (slot: number) => store.words[2 * slot * store.stride + store.shape.offsets.count];
  const sa = store.lookupKey(a, 2, 9, HASH, T0 + 3), sb = store.lookupKey(b, 0, 9, HASH, T0 + 3);
  assert.notEqual(sa, sb);
  assert.deepEqual([count(sa), count(sb)], [2, 1]);
  assert.deepEqual(store.toJSON().ids, ["session-b", "session-a"]);
  // The string path (its own FNV-1a hash) and the byte path with the same hash agree.
  add(store, "session-c", T0 + 3);
  const c = utf8.encode("session-c");
  const slot = store.lookupKey(c, 0, c.length, fnv1a32(c, 0, c.length), T0 + 4);
  assert.equal(slot, store.lookup("session-c", T0 + 4));
  assert.notEqual(slot, -1);
});

Deno.test("SessionStore keeps ids that differ only in lone surrogates apart, and restores them from JSON", () => {
  const store = windowStore();
  for (const id of ["\ud800", "\ud801", "\ufffd", "é", "\ud83d\ude00"]) add(store, id, T0);
  add(store, "\ud800", T0 + 1);
  assert.equal(store.size, 5);
  assert.equal(store.get("\ud800")?.count, 2);
  assert.equal(store.get("\ud801")?.count, 1);
  const json = JSON.parse(JSON.stringify(store.toJSON()));
  const restored = SessionStore.fromJSON(json, WINDOW_LAYOUT);
  assert.deepEqual(restored.toJSON(), store.toJSON());
  assert.equal(restored.get("\ud800")?.count, 2);
  // the byte path reaches a restored id by its UTF-8 bytes
  const e = utf8.encode("é");
  assert.notEqual(restored.lookupKey(e, 0, e.length, fnv1a32(e, 0, e.length), T0 + 2), -1);
});

Deno.test("SessionStore.fromJSON() rejects an id that is not a string or appears twice, naming it", () => {
  const state = windowStore().toJSON();
  const fields = [T0, T0, 1, 0, 1, T0];
  assert.throws(
    () =>
      SessionStore.fromJSON(
        { ...state, ids: ["a", "a"], fields: [...fields, ...fields] },
        WINDOW_LAYOUT,
      ),
    /session id "a" appears twice/,
  );
  assert.throws(
    () => SessionStore.fromJSON({ ...state, ids: [7 as unknown as string], fields }, WINDOW_LAYOUT),
    /session id 7 \(at 0\) is not a string/,
  );
});

Deno.test("SessionStore.recordKey() after lookupKey() goes by the bytes as they are, even if they changed", () => {
  const store = windowStore();
  const key = utf8.encode("aaaa");
  const HASH = 1;
  store.recordKey(key, 0, 4, HASH, at("aaaa", T0));
  const slot = store.lookupKey(key, 0, 4, HASH, T0 + 1);
  assert.notEqual(slot, -1);
  key.set(utf8.encode("bbbb")); // the same buffer, another id, the same (caller's) hash
  assert.equal(store.recordKey(key, 0, 4, HASH, at("bbbb", T0 + 1)), "bbbb");
  assert.equal(store.size, 2);
  assert.deepEqual(store.toJSON().ids, ["aaaa", "bbbb"]);
});

Deno.test("SessionStore keeps no string per session: ids come from their bytes, after churn too", () => {
  const store = windowStore({ maxSessions: 50 });
  for (let i = 0; i < 2000; i++) {
    add(store, `s-${i}-${"é".repeat(i % 7)}\ud800`.slice(0, 4 + i % 12), T0 + i);
  }
  const ids = store.toJSON().ids;
  assert.equal(ids.length, 50);
  for (const slot of store.recency()) {
    const id = store.idAt(slot);
    const bytes = store.idArray(slot).subarray(
      store.idOffset(slot),
      store.idOffset(slot) + store.idLength(slot),
    );
    const again = new Uint8Array(3 * id.length);
    assert.equal(store.lookup(id, T0 + 2000), slot);
    assert.deepEqual(bytes, again.subarray(0, encodeWtf8Into(id, again, 0)));
  }
  assert.deepEqual(SessionStore.fromJSON(store.toJSON(), WINDOW_LAYOUT).toJSON(), store.toJSON());
});

Deno.test("SessionStore.lookup() by string finds a session recorded by its bytes after a cached miss", () => {
  const store = windowStore();
  assert.equal(store.lookup("fresh", T0), -1); // a miss, cached
  const b = utf8.encode("fresh");
  store.recordKey(b, 0, b.length, fnv1a32(b, 0, b.length), at("fresh", T0));
  assert.notEqual(store.lookup("fresh", T0 + 1), -1);
  add(store, "fresh", T0 + 2); // the string path finds it too: one session, two events
  assert.equal(store.size, 1);
  assert.equal(store.get("fresh")?.count, 2);
});

Deno.test("SessionStore allocates its slots for the cap up front: no growth below it", () => {
  const store = new SessionStore({ maxSessions: 5000 });
  const slots = store.slots;
  assert.equal(slots.length, 5001 * store.stride);
  for (let i = 0; i < 6000; i++) add(store, `g${i}`, T0 + i / 10);
  assert.equal(store.slots, slots); // the same array: never copied
  assert.equal(store.size, 5000);
});

Deno.test("SessionStore.recordKey() returns each event's own id through expiry, eviction and slot reuse", () => {
  // A small cap and idle time, with events far behind the watermark (expired at once: their slot
  // is freed by the same record) and ids that share slots as sessions come and go.
  const store = windowStore({ maxSessions: 30, idleSeconds: 60 });
  const buffer = new Uint8Array(64);
  let seed = 7, t = T0;
  for (let i = 0; i < 20_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const id = `s${(seed >>> 8) % 90}${i % 3 === 0 ? "é" : ""}`;
    t += (seed >>> 4) % 7;
    const time = (seed & 0xf) === 0 ? t - 1000 : t;
    const length = encodeWtf8Into(id, buffer, 0);
    const got = store.recordKey(buffer, 0, length, fnv1a32(buffer, 0, length), at(id, time));
    assert.equal(got, id, `event ${i}`);
  }
  assert.ok(store.expired > 0 && store.evicted > 0);
});

Deno.test("SessionStore.recordKey() returns the right ids with more live sessions than its id cache", () => {
  const store = windowStore({ maxSessions: 50_000, idleSeconds: 86_400 });
  const buffer = new Uint8Array(64);
  for (let lap = 0; lap < 2; lap++) {
    for (let i = 0; i < 40_000; i++) {
      const id = `id-${(i * 7919) % 40_000}`;
      const length = encodeWtf8Into(id, buffer, 0);
      const got = store.recordKey(buffer, 0, length, fnv1a32(buffer, 0, length), at(id, T0 + i));
      if (got !== id) assert.fail(`lap ${lap}, event ${i}: ${got} for ${id}`);
    }
  }
  assert.equal(store.size, 40_000);
});

Deno.test("SessionStore.recordKey() of a session expired by its own record caches no id for its freed slot", () => {
  const store = windowStore({ maxSessions: 1, idleSeconds: 60 });
  const buffer = new Uint8Array(16);
  const record = (id: string, t: number) => {
    const length = encodeWtf8Into(id, buffer, 0);
    return store.recordKey(buffer, 0, length, fnv1a32(buffer, 0, length), at(id, t));
  };
  record("a", T0);
  record("b", T0 + 1000); // expires a
  record("c", T0); // evicts b: c is left, stale
  assert.equal(record("d", T0), "d"); // the sweep expires c, then d itself: the store is empty
  assert.equal(store.size, 0);
  assert.equal(record("e", T0 + 1000), "e"); // e takes the slot d had
  assert.deepEqual(store.toJSON().ids, ["e"]);
});

Deno.test("SessionStore agrees with the reference on out-of-order streams that expire and evict at once", () => {
  // Events far behind the watermark (a new session older than the idle time), small caps: the
  // sweep's shortcut (the head's last time, kept while it stays the head) must expire what the
  // reference expires.
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -300, max: 120 })),
        { minLength: 20, maxLength: 300 },
      ),
      fc.integer({ min: 1, max: 4 }),
      (ops, max) => {
        const store = windowStore({ idleSeconds: 50, maxSessions: max });
        const ref = new ReferenceStore(50, max);
        let t = T0;
        for (const [k, dt] of ops) {
          t += dt;
          add(store, `s${k}`, t);
          ref.record(`s${k}`, t);
          assert.deepStrictEqual(store.toJSON().ids, ref.sessions.map((s) => s.id));
        }
        for (const s of ref.sessions) assert.deepStrictEqual(store.get(s.id), s.v);
      },
    ),
    { numRuns: 300 },
  );
});
