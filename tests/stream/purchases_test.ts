import assert from "node:assert/strict";
import { PurchaseAggregate } from "../../src/stream/purchases.ts";
import { ReferencePurchaseAggregate } from "./_purchases_reference.ts";

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

Deno.test("PurchaseAggregate.top(n) is the head of a full ranking, for any n, ties included", () => {
  const a = new PurchaseAggregate();
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 5000; i++) {
    // Few distinct amounts and users, so ties by amount and by count are common.
    a.add(Math.floor(rand() * 700), Math.floor(rand() * 4) * 2.5);
  }
  const all = a.top(a.size);
  assert.equal(all.length, a.size);
  for (let i = 1; i < all.length; i++) {
    const [p, q] = [all[i - 1], all[i]];
    assert.ok(
      p.amount > q.amount || (p.amount === q.amount && p.purchases > q.purchases) ||
        (p.amount === q.amount && p.purchases === q.purchases && p.userId < q.userId),
      `rows ${i - 1} and ${i} are out of order`,
    );
  }
  for (const n of [0, 1, 2, 10, 99, 1000, a.size + 5]) {
    assert.deepEqual(a.top(n), all.slice(0, n), `top(${n})`);
  }
  const fresh = PurchaseAggregate.fromJSON(a.toJSON());
  assert.deepEqual(fresh.top(3), all.slice(0, 3));
  assert.deepEqual(fresh.top(50), all.slice(0, 50), "a larger n after a smaller one");
  a.add(all[all.length - 1].userId, 1e6);
  assert.equal(a.top(1)[0].userId, all[all.length - 1].userId, "a change invalidates the ranking");
});

Deno.test("PurchaseAggregate.top(n) kept up to date purchase by purchase equals a fresh ranking", () => {
  let seed = 11;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const maxUsers of [200_000, 40]) {
    const a = new PurchaseAggregate({ maxUsers });
    const served: ReturnType<typeof a.top>[] = [];
    for (let i = 0; i < 3000; i++) {
      // Ties are common; a few refunds (negative amounts) lower a rank; maxUsers 40 evicts.
      const amount = rand() < 0.02 ? -5 : Math.floor(rand() * 4) * 2.5;
      a.add(Math.floor(rand() * 120), amount);
      if (i % 7 === 0) {
        const n = i % 3 === 0 ? 10 : 25;
        const top = a.top(n);
        assert.deepEqual(top, PurchaseAggregate.fromJSON(a.toJSON()).top(n), `after add ${i}`);
        served.push(top);
      }
    }
    assert.ok(served.every((rows) => rows.every(Object.isFrozen)), "served rows are frozen");
    const first = structuredClone(served[0]);
    a.add(served[0][0].userId, 1000);
    assert.deepEqual(served[0], first, "a ranking already served does not change");
  }
});

Deno.test("PurchaseAggregate equals the reference (its former code) over random purchases: ties, NaN, -0, refunds, eviction, growth", () => {
  let seed = 23;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const odd = [NaN, 0, -0, -3, 2.5, 2 ** 40 + 1, 2 ** 53 - 1, 2 ** 32, -(2 ** 32) - 7];
  const cases = [
    { maxUsers: 200_000, users: 5000, ops: 40_000 },
    { maxUsers: 300, users: 900, ops: 20_000 },
    { maxUsers: 40, users: 120, ops: 8000 },
    { maxUsers: 1, users: 5, ops: 500 },
  ];
  for (const { maxUsers, users, ops } of cases) {
    let a = new PurchaseAggregate({ maxUsers });
    let b = new ReferencePurchaseAggregate({ maxUsers });
    const ids = new Float64Array(1), amounts = new Float64Array(1);
    for (let k = 0; k < ops; k++) {
      const u = rand();
      const userId = u < 0.03
        ? odd[Math.floor(rand() * odd.length)]
        : 1 + Math.floor(rand() * users);
      const v = rand();
      // Ties by amount and by count; refunds; a NaN amount now and then; cents to round.
      const amount = v < 0.02
        ? -5
        : v < 0.022
        ? NaN
        : v < 0.3
        ? 0.005 * Math.floor(rand() * 9)
        : Math.floor(rand() * 4) * 2.5;
      if (k % 2 === 0) a.add(userId, amount);
      else (ids[0] = userId, amounts[0] = amount, a.addAt(ids, amounts, 0));
      b.add(userId, amount);
      if (k % 97 === 0 || k === ops - 1) {
        const n = [1, 10, 25, 1000][Math.floor(rand() * 4)];
        const where = `maxUsers ${maxUsers}, after ${k} purchases`;
        assert.deepStrictEqual(a.top(n), b.top(n), `top(${n}), ${where}`);
        assert.equal(a.size, b.size, where);
      }
      if (k % 1999 === 0) assert.deepStrictEqual(a.toJSON(), b.toJSON());
      if (k === Math.floor(ops / 2)) {
        const state = JSON.parse(JSON.stringify(a.toJSON()));
        a = PurchaseAggregate.fromJSON(state, { maxUsers });
        b = ReferencePurchaseAggregate.fromJSON(state, { maxUsers });
      }
      if (k === Math.floor(ops * 0.8)) a.clear(), b.clear();
    }
    assert.deepStrictEqual(a.toJSON(), b.toJSON(), `maxUsers ${maxUsers}`);
    assert.deepStrictEqual(a.top(a.size + 1), b.top(b.size + 1));
  }
  // A state naming a user twice (the later figures win), NaN and -0 ids, a NaN id as JSON's null.
  const state = {
    users: [3, 5, 3, NaN, -0, 0, null as unknown as number],
    counts: [1, 2, 3, 4, 5, 6, 7],
    amounts: [1.5, 2, 7, 1, 9, 4, 3],
  };
  const a = PurchaseAggregate.fromJSON(state), b = ReferencePurchaseAggregate.fromJSON(state);
  assert.deepStrictEqual(a.toJSON(), b.toJSON());
  assert.deepStrictEqual(a.top(10), b.top(10));
  a.add(3, 1), b.add(3, 1), a.add(-0, 2), b.add(-0, 2);
  assert.deepStrictEqual(a.top(10), b.top(10));
  assert.deepStrictEqual(a.toJSON(), b.toJSON());
});
