import assert from "node:assert/strict";
import fc from "fast-check";
import { SessionStore, type SessionView, WINDOW_SECONDS } from "../../src/learn/session_store.ts";

const T0 = 1_764_000_000;

Deno.test("SessionStore.record() counts events and tracks the tumbling window", () => {
  const s = new SessionStore();
  const w0 = Math.floor(T0 / WINDOW_SECONDS) * WINDOW_SECONDS; // start of a window
  s.record("a", w0 + 10);
  s.record("a", w0 + 20);
  assert.deepEqual(s.get("a"), {
    start: w0 + 10,
    last: w0 + 20,
    count: 2,
    window: w0 / WINDOW_SECONDS,
    windowCount: 2,
    windowFirst: w0 + 10,
  });
  s.record("a", w0 + WINDOW_SECONDS + 5);
  const a = s.get("a")!;
  assert.equal(a.count, 3);
  assert.equal(a.windowCount, 1);
  assert.equal(a.windowFirst, w0 + WINDOW_SECONDS + 5);
  assert.equal(a.start, w0 + 10);
});

Deno.test("SessionStore expires sessions idle for more than idleSeconds of event time", async (t) => {
  await t.step("by the watermark", () => {
    const s = new SessionStore({ idleSeconds: 60 });
    s.record("a", T0);
    s.record("b", T0 + 30);
    s.record("b", T0 + 61);
    assert.equal(s.size, 1);
    assert.equal(s.get("a"), undefined);
    assert.equal(s.expired, 1);
  });
  await t.step("when its own next event comes late", () => {
    const s = new SessionStore({ idleSeconds: 60 });
    s.record("a", T0);
    assert.equal(s.lookup("a", T0 + 60), s.lookup("a", T0));
    assert.equal(s.lookup("a", T0 + 61), -1);
    s.record("a", T0 + 61);
    assert.equal(s.get("a")!.count, 1);
    assert.equal(s.get("a")!.start, T0 + 61);
  });
});

Deno.test("SessionStore evicts the least recently seen session beyond maxSessions", () => {
  const s = new SessionStore({ maxSessions: 3 });
  s.record("a", T0);
  s.record("b", T0);
  s.record("c", T0);
  s.record("a", T0 + 1); // a is now the most recent; b the least
  s.record("d", T0 + 2);
  assert.equal(s.size, 3);
  assert.equal(s.get("b"), undefined);
  assert.ok(s.get("a") && s.get("c") && s.get("d"));
  assert.equal(s.evicted, 1);
});

Deno.test("SessionStore keeps the state of the session whose arrival grows the storage", () => {
  // The slots start at 1024 and double: sessions 1025, 2049 and 4097 each arrive at a growth.
  const s = new SessionStore();
  for (let i = 0; i < 5000; i++) s.record(`s${i}`, T0 + (i % 600));
  for (let i = 0; i < 5000; i++) {
    const v = s.get(`s${i}`);
    assert.equal(v?.count, 1, `session ${i}`);
    assert.equal(v?.start, T0 + (i % 600), `session ${i}`);
  }
  s.record("s1024", T0 + 700);
  assert.equal(s.get("s1024")?.count, 2, "its next event continues it");
  assert.equal(s.expired, 0);
});

Deno.test("SessionStore.fromJSON(toJSON()) restores the same state and the same future", () => {
  const a = new SessionStore({ idleSeconds: 100, maxSessions: 40 });
  const ids = Array.from({ length: 60 }, (_, i) => `s${i}`);
  let t = T0;
  const step = (store: SessionStore, i: number) => store.record(ids[(i * 7919) % 60], t + i);
  for (let i = 0; i < 500; i++) step(a, i);
  const b = SessionStore.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
  t += 50;
  for (let i = 500; i < 1000; i++) {
    step(a, i);
    step(b, i);
  }
  assert.deepStrictEqual(b.toJSON(), a.toJSON());
});

Deno.test("SessionStore rejects bad options and states", () => {
  assert.throws(() => new SessionStore({ idleSeconds: 0 }), RangeError);
  assert.throws(() => new SessionStore({ maxSessions: 1.5 }), RangeError);
  assert.throws(() => SessionStore.fromJSON({ version: 2 } as never), TypeError);
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
      s = { id, v: { start: t, last: t, count: 1, window: w, windowCount: 1, windowFirst: t } };
    } else {
      const v = s.v;
      v.last = Math.max(v.last, t);
      v.count++;
      if (w === v.window) {
        v.windowCount++;
        v.windowFirst = Math.min(v.windowFirst, t);
      } else if (w > v.window) {
        Object.assign(v, { window: w, windowCount: 1, windowFirst: t });
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
        const store = new SessionStore({ idleSeconds: 250, maxSessions: max });
        const ref = new ReferenceStore(250, max);
        let t = T0;
        for (const [k, dt] of ops) {
          t += dt;
          store.record(`s${k}`, t);
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
