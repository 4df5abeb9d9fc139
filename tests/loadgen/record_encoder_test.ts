/** The encode path is byte-identical to `stringifyEvent`, the definition of the wire bytes. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeEvent, stringifyEvent } from "../../src/events/schema.ts";
import type { WireEvent } from "../../src/events/wire.ts";
import { SessionGenerator } from "../../src/generator/session_generator.ts";
import { encodeBatch, eventJson } from "../../src/loadgen/record_encoder.ts";

Deno.test("eventJson() equals stringifyEvent() on 200k generator events", async (t) => {
  const variants = {
    "simulated clock": new SessionGenerator({ seed: 1 }),
    "wall clock, drift, sharded": new SessionGenerator({
      seed: 2,
      clock: () => Math.floor(Date.now() / 1000),
      driftAt: 1000,
      shard: { index: 1, count: 4 },
    }),
  };
  for (const [name, gen] of Object.entries(variants)) {
    await t.step(name, () => {
      let purchases = 0;
      for (let i = 0; i < 100_000; i++) {
        const e = gen.next();
        if (e.action === "purchase") purchases++;
        const fast = eventJson(e);
        if (fast !== stringifyEvent(e)) assert.equal(fast, stringifyEvent(e), `event ${i}`);
      }
      assert.ok(purchases > 10_000);
    });
  }
});

Deno.test("eventJson() equals stringifyEvent() on awkward values", async (t) => {
  const base: WireEvent = {
    user_id: 1,
    url: "/home?abcdef",
    action: "click",
    session_id: "s",
    timestamp: 1_764_000_000,
  };
  const cases: Record<string, WireEvent> = {
    "quote and backslash in url": { ...base, url: '/a?"b\\c' },
    "control character in session id": { ...base, session_id: "a\u0001b\nc" },
    "quote in an action that is not one of the four": {
      ...base,
      action: 'cl"ick' as WireEvent["action"],
    } as WireEvent,
    "DEL and a surrogate pair": { ...base, url: "/x?\u007f😀" },
    "non-ASCII": { ...base, url: "/search?café✓", session_id: "sé" },
    "lone surrogate": { ...base, url: "/x?\ud800" },
    "amount with cents": { ...base, action: "purchase", amount: 129.99 },
    "integral amount": { ...base, action: "purchase", amount: 5 },
    "tiny and huge amounts": { ...base, action: "purchase", amount: 1e-7 },
    "amount 1e21": { ...base, action: "purchase", amount: 1e21 },
    "NaN amount": { ...base, action: "purchase", amount: NaN },
    "Infinity timestamp": { ...base, timestamp: Infinity },
    "extra fields are dropped": { ...base, extra: 1 } as WireEvent,
  };
  for (const [name, e] of Object.entries(cases)) {
    await t.step(name, () => assert.equal(eventJson(e), stringifyEvent(e)));
  }
});

Deno.test("encodeBatch() gives key and value bytes equal to the session id and encodeEvent()", async (t) => {
  const gen = new SessionGenerator({ seed: 3 });
  const ascii = Array.from({ length: 5000 }, () => gen.next());
  const mixed = [
    ...ascii.slice(0, 10),
    { ...ascii[10], url: "/search?ünï" },
    ...ascii.slice(11, 20),
  ];
  for (const [name, events] of Object.entries({ ascii, "non-ASCII": mixed })) {
    await t.step(name, () => {
      const batch = encodeBatch(events);
      assert.equal(batch.records.length, events.length);
      let bytes = 0;
      for (let i = 0; i < events.length; i++) {
        const { key, value } = batch.records[i];
        assert.ok(Buffer.isBuffer(key) && Buffer.isBuffer(value));
        assert.deepEqual(new Uint8Array(value), encodeEvent(events[i]));
        assert.equal(key.toString("utf8"), events[i].session_id);
        bytes += value.byteLength;
      }
      assert.equal(batch.valueBytes, bytes);
    });
  }
  await t.step("precomputed texts must match the events", () => {
    assert.throws(() => encodeBatch(ascii.slice(0, 2), { texts: ["{}"] }), RangeError);
  });
});
