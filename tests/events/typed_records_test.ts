/**
 * `typedRecords()` decodes record values into typed events, reports a bad one with the typed
 * error and goes on, and ends the source's iteration when the loop ends early.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EventValidationError } from "../../src/events/errors.ts";
import { PurchaseEvent } from "../../src/events/event.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import { typedRecord, typedRecords } from "../../src/events/typed_records.ts";
import type { WireEvent } from "../../src/events/wire.ts";

const click: WireEvent = {
  user_id: 7,
  url: "/products?000001",
  action: "click",
  session_id: "sess000001",
  timestamp: 1_764_080_000,
};
const purchase: WireEvent = { ...click, action: "purchase", amount: 12.5 };

Deno.test("typedRecord() gives the typed event, or the typed error naming the reason", () => {
  const good = typedRecord({ offset: 1, value: encodeEvent(purchase) });
  assert.ok(good.ok);
  assert.ok(good.event instanceof PurchaseEvent);
  assert.equal(good.record.offset, 1, "the record comes along, with its own fields");

  const notUtf8 = typedRecord({ value: new Uint8Array([0xff, 0xfe]) });
  assert.ok(!notUtf8.ok && notUtf8.error instanceof EventValidationError);
  assert.equal(notUtf8.error.reason, "not_utf8");

  const tombstone = typedRecord({ value: null });
  assert.ok(!tombstone.ok && tombstone.error instanceof EventValidationError);
});

Deno.test("typedRecords() goes on after a bad record and closes the source on break", async () => {
  let closed = false;
  async function* source() {
    try {
      yield { value: encodeEvent(click) };
      yield { value: new TextEncoder().encode('{"user_id": "seven"}') };
      yield { value: encodeEvent(purchase) };
      yield { value: encodeEvent(click) };
    } finally {
      closed = true;
    }
  }
  const got = [];
  for await (const item of typedRecords(source())) {
    got.push(item);
    if (got.length === 3) break;
  }
  assert.deepEqual(got.map((g) => g.ok), [true, false, true]);
  const bad = got[1];
  assert.ok(!bad.ok && bad.error.field !== null, "the error names the field");
  assert.equal(closed, true, "break ended the source's iteration");
});
