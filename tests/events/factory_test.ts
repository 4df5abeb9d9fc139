import assert from "node:assert/strict";
import { EventFactory } from "../../src/events/factory.ts";
import { ClickEvent, PurchaseEvent } from "../../src/events/event.ts";
import { EventValidationError } from "../../src/events/errors.ts";

const enc = new TextEncoder();
const VIEW = {
  user_id: 48213,
  url: "/products?kQzRtB",
  action: "view",
  session_id: "p3k9x0a1mz",
  timestamp: 1764080412,
};
const PURCHASE = { ...VIEW, url: "/cart?WbNcLe", action: "purchase", amount: 129.99 };

Deno.test("EventFactory.fromDict() returns a ClickEvent for a view and a PurchaseEvent for a purchase", () => {
  const view = EventFactory.fromDict(VIEW);
  assert.ok(view instanceof ClickEvent);
  assert.ok(!(view instanceof PurchaseEvent));
  assert.equal(view.eventType(), "click");
  assert.equal(view.isPurchase(), false);
  assert.deepEqual(view.toJSON(), VIEW);

  const purchase = EventFactory.fromDict(PURCHASE);
  assert.ok(purchase instanceof PurchaseEvent);
  assert.ok(purchase instanceof ClickEvent);
  assert.equal(purchase.eventType(), "purchase");
  assert.equal(purchase.isPurchase(), true);
  assert.equal((purchase as PurchaseEvent).amount, 129.99);
  assert.deepEqual(purchase.toJSON(), PURCHASE);
  assert.deepEqual(JSON.parse(JSON.stringify(purchase)), PURCHASE);
});

Deno.test("EventFactory.fromBytes() decodes a record and throws EventValidationError on a bad one", () => {
  const event = EventFactory.fromBytes(enc.encode(JSON.stringify(PURCHASE)));
  assert.equal(event.sessionId, "p3k9x0a1mz");
  assert.throws(
    () => EventFactory.fromBytes(enc.encode(JSON.stringify({ ...PURCHASE, amount: -3 }))),
    (e: unknown) =>
      e instanceof EventValidationError && e.field === "amount" && e.reason === "invalid_value",
  );
  assert.throws(() => EventFactory.fromBytes(enc.encode("[]")), EventValidationError);
});
