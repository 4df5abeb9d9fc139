import assert from "node:assert/strict";
import { DecodedBatch } from "../../src/events/byte_decoder.ts";
import { DecodedEvent } from "../../src/events/decoded_event.ts";
import { encodeEvent } from "../../src/events/schema.ts";
import type { WireEvent } from "../../src/events/wire.ts";

const T0 = 1_764_000_000;

Deno.test("DecodedEvent shows each valid row as the event it decodes to, fast path or full", () => {
  const events: WireEvent[] = [
    {
      user_id: 7,
      url: "/cart",
      action: "purchase",
      session_id: "s1",
      timestamp: T0,
      amount: 19.99,
    },
    { user_id: 8, url: "/home", action: "scroll", session_id: "s\u00e9", timestamp: T0 + 1 },
  ];
  const values = [
    encodeEvent(events[0]),
    encodeEvent(events[1]), // non-ASCII: the full path
    new TextEncoder().encode("not json"),
  ];
  const batch = new DecodedBatch().decode(values);
  const view = new DecodedEvent(batch);
  for (let row = 0; row < 2; row++) {
    const e = view.at(row);
    const want = events[row];
    assert.deepEqual(
      [e.row, e.user_id, e.url, e.action, e.session_id, e.timestamp, e.amount],
      [row, want.user_id, want.url, want.action, want.session_id, want.timestamp, want.amount],
    );
  }
  assert.throws(() => view.at(2), /Cannot view row 2: it is not a valid event/);
  assert.throws(() => view.at(3), /Cannot view row 3/);
});
