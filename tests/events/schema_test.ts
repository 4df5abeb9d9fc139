import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeEvent,
  encodeEvent,
  fastValidEvent,
  stringifyEvent,
  tryDecodeEvent,
  tryDecodeEvents,
  tryValidateEvent,
  validateWithSchema,
} from "../../src/events/schema.ts";
import { EventValidationError } from "../../src/events/errors.ts";
import { ACTIONS, MAX_TIMESTAMP, MIN_TIMESTAMP, type WireEvent } from "../../src/events/wire.ts";

const enc = new TextEncoder();

/** The sample records of docs/design.md, byte for byte as the original's producers wrote them. */
const GOLDEN = [
  '{"user_id": 48213, "url": "/products?kQzRtB", "action": "view", "session_id": "p3k9x0a1mz", "timestamp": 1764080412}',
  '{"user_id": 48213, "url": "/cart?WbNcLe", "action": "purchase", "session_id": "p3k9x0a1mz", "timestamp": 1764080415, "amount": 129.99}',
];

Deno.test("decodeEvent() accepts the original's sample records unchanged", () => {
  assert.deepEqual(decodeEvent(enc.encode(GOLDEN[0])), {
    user_id: 48213,
    url: "/products?kQzRtB",
    action: "view",
    session_id: "p3k9x0a1mz",
    timestamp: 1764080412,
  });
  assert.deepEqual(decodeEvent(enc.encode(GOLDEN[1])), {
    user_id: 48213,
    url: "/cart?WbNcLe",
    action: "purchase",
    session_id: "p3k9x0a1mz",
    timestamp: 1764080415,
    amount: 129.99,
  });
});

Deno.test("stringifyEvent() writes the original's field order and re-parses to the same event", () => {
  for (const line of GOLDEN) {
    const event = decodeEvent(enc.encode(line));
    assert.equal(stringifyEvent(event), line.replaceAll(": ", ":").replaceAll(", ", ","));
  }
});

const BASE = {
  user_id: 7,
  url: "/home?abcdef",
  action: "click",
  session_id: "abc123",
  timestamp: 1764080412,
};

Deno.test("tryValidateEvent() names the field and the reason of every bad record", async (t) => {
  const cases: [string, unknown, string, string | null][] = [
    ["user_id as a string", { ...BASE, user_id: "7" }, "wrong_type", "user_id"],
    ["a fractional user_id", { ...BASE, user_id: 7.5 }, "wrong_type", "user_id"],
    ["a zero user_id", { ...BASE, user_id: 0 }, "out_of_range", "user_id"],
    ["a missing url", { ...BASE, url: undefined }, "missing_field", "url"],
    ["an empty session_id", { ...BASE, session_id: "" }, "invalid_value", "session_id"],
    ["an unknown action", { ...BASE, action: "buy" }, "unknown_action", "action"],
    [
      "a timestamp before 2000",
      { ...BASE, timestamp: MIN_TIMESTAMP - 1 },
      "out_of_range",
      "timestamp",
    ],
    [
      "a timestamp after 2100",
      { ...BASE, timestamp: MAX_TIMESTAMP + 1 },
      "out_of_range",
      "timestamp",
    ],
    [
      "a timestamp in milliseconds",
      { ...BASE, timestamp: 1764080412000 },
      "out_of_range",
      "timestamp",
    ],
    ["a purchase without amount", { ...BASE, action: "purchase" }, "amount_required", "amount"],
    ["a negative amount", { ...BASE, action: "purchase", amount: -1 }, "invalid_value", "amount"],
    ["a zero amount", { ...BASE, action: "purchase", amount: 0 }, "invalid_value", "amount"],
    ["a NaN amount", { ...BASE, action: "purchase", amount: NaN }, "invalid_value", "amount"],
    [
      "an infinite amount",
      { ...BASE, action: "purchase", amount: Infinity },
      "invalid_value",
      "amount",
    ],
    ["a string amount", { ...BASE, action: "purchase", amount: "9.99" }, "wrong_type", "amount"],
    ["an amount on a click", { ...BASE, amount: 5 }, "amount_forbidden", "amount"],
    ["an array", [BASE], "not_object", null],
    ["null", null, "not_object", null],
  ];
  for (const [name, value, reason, field] of cases) {
    await t.step(name, () => {
      const result = tryValidateEvent(value);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.ok(result.error instanceof EventValidationError);
      assert.equal(result.error.reason, reason);
      assert.equal(result.error.field, field);
      if (field !== null) assert.match(result.error.message, new RegExp(field));
    });
  }
});

Deno.test("tryDecodeEvent() rejects bytes that are not a JSON event", async (t) => {
  await t.step("not JSON", () => {
    const r = tryDecodeEvent(enc.encode("{not json"));
    assert.equal(!r.ok && r.error.reason, "not_json");
  });
  await t.step("not UTF-8", () => {
    const r = tryDecodeEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    assert.equal(!r.ok && r.error.reason, "not_utf8");
  });
  await t.step("a tombstone", () => {
    const r = tryDecodeEvent(null);
    assert.equal(!r.ok && r.error.reason, "not_json");
  });
  await t.step("a record over 64 KiB, even if valid JSON", () => {
    const big = JSON.stringify({ ...BASE, padding: "x".repeat(70_000) });
    const r = tryDecodeEvent(enc.encode(big));
    assert.equal(!r.ok && r.error.reason, "too_large");
  });
  await t.step("an amount that overflows to Infinity", () => {
    const r = tryDecodeEvent(
      enc.encode(JSON.stringify({ ...BASE, action: "purchase" }).replace("}", ',"amount":1e400}')),
    );
    assert.equal(!r.ok && r.error.reason, "invalid_value");
  });
});

Deno.test("tryValidateEvent() ignores unknown extra fields", () => {
  const r = tryValidateEvent({ ...BASE, referrer: "/x", schema_version: 3 });
  assert.ok(r.ok);
  if (r.ok) assert.deepEqual(r.event, BASE);
});

const validEvent: fc.Arbitrary<WireEvent> = fc.record({
  user_id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  url: fc.string({ minLength: 1, maxLength: 200, unit: "binary" }),
  action: fc.constantFrom(...ACTIONS),
  session_id: fc.string({ minLength: 1, maxLength: 64, unit: "binary" }),
  timestamp: fc.integer({ min: MIN_TIMESTAMP, max: MAX_TIMESTAMP }),
  amount: fc.double({ min: Number.MIN_VALUE, max: 1e12, noNaN: true, noDefaultInfinity: true }),
}).map((e) => {
  const { amount, ...fields } = e;
  return (fields.action === "purchase" ? { ...fields, amount } : fields) as WireEvent;
});

Deno.test("encodeEvent() then decodeEvent() returns every valid event unchanged", () => {
  fc.assert(
    fc.property(validEvent, (event) => {
      assert.deepEqual(decodeEvent(encodeEvent(event)), event);
    }),
    { numRuns: 5000 },
  );
});

Deno.test("tryDecodeEvent() never throws and only ever reports EventValidationError", async (t) => {
  const check = (r: ReturnType<typeof tryDecodeEvent>) => {
    if (!r.ok) assert.ok(r.error instanceof EventValidationError);
  };
  await t.step("random byte strings", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(tryDecodeEvent(b))), {
      numRuns: 5000,
    });
  });
  await t.step("random JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => check(tryDecodeEvent(enc.encode(JSON.stringify(v))))),
      { numRuns: 5000 },
    );
  });
  await t.step("random values of any JS type", () => {
    fc.assert(fc.property(fc.anything(), (v) => check(tryValidateEvent(v))), { numRuns: 5000 });
  });
  await t.step("valid events with one field replaced by anything", () => {
    const keys = ["user_id", "url", "action", "session_id", "timestamp", "amount"];
    fc.assert(
      fc.property(validEvent, fc.constantFrom(...keys), fc.anything(), (event, key, value) => {
        const mutated: Record<string, unknown> = { ...event, [key]: value };
        check(tryValidateEvent(mutated));
        check(tryDecodeEvent(enc.encode(JSON.stringify(mutated) ?? "")));
      }),
      { numRuns: 5000 },
    );
  });
});

Deno.test("fastValidEvent() accepts only what the zod schema accepts, with the same result", async (t) => {
  const same = (value: unknown) => {
    const fast = fastValidEvent(value);
    const slow = validateWithSchema(value);
    if (fast !== null) {
      assert.ok(slow.ok, `the fast path accepted what zod rejects: ${JSON.stringify(value)}`);
      if (slow.ok) assert.deepEqual(fast, slow.event);
    }
  };
  await t.step("valid events: the fast path takes them all", () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        assert.deepEqual(fastValidEvent(event), event);
        same(event);
      }),
      { numRuns: 3000 },
    );
  });
  await t.step("valid events with one field replaced by anything", () => {
    const keys = ["user_id", "url", "action", "session_id", "timestamp", "amount", "extra"];
    const odd = fc.oneof(
      fc.anything(),
      fc.constantFrom(0, -0, -1, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, 2 ** 53, "", "x"),
      fc.integer(),
      fc.double(),
    );
    fc.assert(
      fc.property(validEvent, fc.constantFrom(...keys), odd, (event, key, value) => {
        same({ ...event, [key]: value });
        const missing: Record<string, unknown> = { ...event };
        delete missing[key];
        same(missing);
      }),
      { numRuns: 10_000 },
    );
  });
  await t.step("random values of any type", () => {
    fc.assert(fc.property(fc.anything(), same), { numRuns: 3000 });
  });
});

/** A result as plain data, to compare the batch and the single decoders. */
function outcome(r: ReturnType<typeof tryDecodeEvent>) {
  return r.ok ? { ok: true, event: r.event } : {
    ok: false,
    reason: r.error.reason,
    field: r.error.field,
    message: r.error.message,
  };
}

Deno.test("tryDecodeEvents() gives tryDecodeEvent()'s result for every value", async (t) => {
  const same = (values: (Uint8Array | null | undefined)[]) => {
    const batch = tryDecodeEvents(values);
    assert.equal(batch.length, values.length);
    batch.forEach((r, i) =>
      assert.deepEqual(outcome(r), outcome(tryDecodeEvent(values[i])), `#${i}`)
    );
  };
  await t.step("the edges, mixed in one batch", () => {
    same([
      enc.encode(GOLDEN[0]),
      null,
      undefined,
      new Uint8Array(),
      enc.encode(GOLDEN[1].replace("/cart", "/café-€")), // valid, not ASCII
      new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(GOLDEN[0])]), // a byte-order mark
      new Uint8Array([...enc.encode(GOLDEN[0]).slice(0, 20), 0xc3, 0x28]), // invalid UTF-8
      new Uint8Array([0x80, 0x81, 0x9d]), // bytes latin1 maps to unusual characters
      enc.encode('{"user_id": 1'), // cut short
      enc.encode(`{"url": "${"x".repeat(70_000)}"}`), // too large
      enc.encode("\u0000\u001f"),
      enc.encode(GOLDEN[1]),
    ]);
  });
  await t.step("random valid events and random bytes, over several chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(validEvent.map(encodeEvent), fc.uint8Array({ maxLength: 200 })), {
          maxLength: 60,
        }),
        same,
      ),
      { numRuns: 300 },
    );
    // About 3 MB: more than one chunk of the joined buffer.
    const big = Array.from(
      { length: 25_000 },
      (_, i) =>
        i % 997 === 0 ? enc.encode("not json") : encodeEvent({
          user_id: i + 1,
          url: `/p/${i}${"y".repeat(i % 50)}`,
          action: i % 10 === 0 ? "purchase" : "click",
          session_id: `s${i % 300}`,
          timestamp: 1764080412 + i,
          ...(i % 10 === 0 ? { amount: i / 7 } : {}),
        } as WireEvent),
    );
    same(big);
  });
});
