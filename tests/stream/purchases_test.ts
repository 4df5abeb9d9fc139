import assert from "node:assert/strict";
import { PurchaseAggregate } from "../../src/stream/purchases.ts";

Deno.test("PurchaseAggregate.top() ranks users by amount with their purchase counts", () => {
  const a = new PurchaseAggregate();
  a.add(1, 10);
  a.add(2, 100);
  a.add(1, 20.005);
  a.add(3, 5);
  assert.deepEqual(a.top(2), [
    { userId: 2, purchases: 1, amount: 100 },
    { userId: 1, purchases: 2, amount: 30.01 },
  ]);
  assert.equal(a.size, 3);
});

Deno.test("PurchaseAggregate evicts the smallest total when full", () => {
  const a = new PurchaseAggregate({ maxUsers: 2 });
  a.add(1, 50);
  a.add(2, 5);
  a.add(3, 20);
  assert.deepEqual(a.top(10).map((r) => r.userId), [1, 3]);
  assert.throws(() => new PurchaseAggregate({ maxUsers: 0 }), RangeError);
});

Deno.test("PurchaseAggregate survives toJSON() then fromJSON()", () => {
  const a = new PurchaseAggregate();
  for (let i = 0; i < 100; i++) a.add(i % 7, i * 1.25);
  const b = PurchaseAggregate.fromJSON(JSON.parse(JSON.stringify(a)));
  assert.deepEqual(b.top(10), a.top(10));
});
