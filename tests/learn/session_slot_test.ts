import assert from "node:assert/strict";
import { ACTIONS } from "../../src/events/wire.ts";
import { ACTIONS_LAYOUT } from "../../src/learn/field_features.ts";
import { WINDOW_LAYOUT } from "../../src/learn/position_features.ts";
import {
  layoutShape,
  MAX_WHOLE,
  readSlot,
  slotShape,
  writeSlot,
} from "../../src/learn/session_slot.ts";
import { CORE_LAYOUT, type SessionEvent, SessionStore } from "../../src/learn/session_store.ts";

const T0 = 1_764_000_000;

function event(id: string, t: number, action: SessionEvent["action"] = "view"): SessionEvent {
  return { session_id: id, timestamp: t, url: "/cart", action, amount: 2.5 };
}

Deno.test("slotShape puts the float fields first, then the integers as int32 words", () => {
  const shop = layoutShape(ACTIONS_LAYOUT);
  assert.deepEqual(shop.fields, ["start", "last", "count", ...ACTIONS, "spend", "page"]);
  // start, last, spend: float64 words 0..2; count, 4 action counts, page: int32 words 6..11
  assert.deepEqual(shop.at, [0, 1, 6, 7, 8, 9, 10, 2, 11]);
  assert.equal(shop.stride, 6); // 48 bytes a session, not 9 float64 = 72
  assert.equal(layoutShape(CORE_LAYOUT).stride, 3); // start, last, count (4 bytes and 4 padding)
  assert.equal(layoutShape(WINDOW_LAYOUT).stride, 5); // 4 floats, 2 integers
  assert.throws(() => slotShape(["a"], ["b"]), /integer field "b" is not one of them/);
  assert.throws(() => slotShape(["count"]), /a name repeats/);
});

Deno.test("writeSlot and readSlot keep every field's number exactly; integers saturate at 2^31 − 1", () => {
  const shape = layoutShape(ACTIONS_LAYOUT);
  const f = new Float64Array(2 * shape.stride), u = new Int32Array(f.buffer);
  const values = [T0 + 0.25, T0 + 7.5, 70_000, 65_536, 0, 2 ** 30 + 3, MAX_WHOLE, 1e-9 + 12.3, 8];
  writeSlot(shape, f, u, shape.stride, values, 0, "s");
  const out: number[] = [];
  readSlot(shape, f, u, shape.stride, out, 0);
  assert.deepStrictEqual(out, values);
  assert.deepEqual([...f.subarray(0, shape.stride)], new Array(shape.stride).fill(0)); // slot 0
  writeSlot(shape, f, u, 0, [1, 2, 2 ** 40, 0, 0, 0, 0, 0, 0], 0, "s"); // an older float64 count
  readSlot(shape, f, u, 0, out, 0);
  assert.equal(out[2], MAX_WHOLE);
  for (const bad of [-1, 0.5, NaN]) {
    assert.throws(
      () => writeSlot(shape, f, u, 0, [1, 2, 3, 0, bad, 0, 0, 0, 0], 0, "s-1"),
      new RegExp(`session "s-1": its view ${bad} is not a whole number ≥ 0`),
    );
  }
});

Deno.test("SessionStore counts past 2^16 and saturates at 2^31 − 1, through its state", () => {
  const store = new SessionStore({ layout: ACTIONS_LAYOUT });
  store.record(event("a", T0));
  const state = store.toJSON();
  const at = (name: string) => layoutShape(ACTIONS_LAYOUT).fields.indexOf(name);
  for (const [count, views] of [[70_000, 65_537], [MAX_WHOLE - 1, MAX_WHOLE - 1]]) {
    const fields = [...state.fields];
    fields[at("count")] = count;
    fields[at("view")] = views;
    const restored = SessionStore.fromJSON({ ...state, fields }, ACTIONS_LAYOUT);
    assert.deepStrictEqual(restored.toJSON(), { ...state, fields }); // bit for bit
    restored.record(event("a", T0 + 1));
    restored.record(event("a", T0 + 2));
    const view = restored.get("a")!;
    assert.equal(view.count, Math.min(count + 2, MAX_WHOLE));
    assert.equal(view.view, Math.min(views + 2, MAX_WHOLE));
    assert.equal(view.last, T0 + 2);
    assert.equal(view.spend, 0);
  }
  const fields = [...state.fields];
  fields[at("page")] = -3;
  assert.throws(
    () => SessionStore.fromJSON({ ...state, fields }, ACTIONS_LAYOUT),
    /session "a": its page -3 is not a whole number/,
  );
});

Deno.test("SessionStore keeps a window's count as an integer, its id and first time as float64", () => {
  const store = new SessionStore({ layout: WINDOW_LAYOUT });
  for (let i = 0; i < 5; i++) store.record(event("w", 3000 + i / 4));
  assert.deepEqual(store.get("w"), {
    start: 3000,
    last: 3001,
    count: 5,
    window: 10,
    window_count: 5,
    window_first: 3000,
  });
});
