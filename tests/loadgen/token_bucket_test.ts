/** Token bucket and rate gate on fake time. */
import assert from "node:assert/strict";
import { type GateTimer, RateGate, TokenBucket } from "../../src/loadgen/token_bucket.ts";

function fakeClock() {
  let t = 0;
  const pending: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const timer: GateTimer = {
    set(fn, ms) {
      const id = nextId++;
      pending.push({ at: t + ms, fn, id });
      return id;
    },
    clear(handle) {
      const i = pending.findIndex((p) => p.id === handle);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return {
    now: () => t,
    timer,
    /** Advances time to `to`, running due timers in order. */
    advance(ms: number) {
      const to = t + ms;
      for (;;) {
        pending.sort((a, b) => a.at - b.at);
        const due = pending[0];
        if (!due || due.at > to) break;
        pending.shift();
        t = due.at;
        due.fn();
      }
      t = to;
    },
    get pending() {
      return pending.length;
    },
  };
}

Deno.test("TokenBucket.take() grants at the rate, never above the burst", async (t) => {
  await t.step("starts empty and refills at the rate", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, { burst: 100, now: clock.now });
    assert.equal(bucket.take(10), 10); // 10 tokens at 1000/s: 10 ms
    clock.advance(10);
    assert.equal(bucket.take(10), 0);
    assert.equal(bucket.available, 0);
  });
  await t.step("stores at most the burst", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, { burst: 100, now: clock.now });
    clock.advance(60_000);
    assert.equal(bucket.available, 100);
    assert.equal(bucket.take(100), 0);
    assert.equal(bucket.take(1), 1);
  });
  await t.step("a take above the burst waits for a full bucket, then leaves a debt", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100, { burst: 10, now: clock.now });
    assert.equal(bucket.take(50), 100); // needs the burst (10) first: 100 ms
    clock.advance(100);
    assert.equal(bucket.take(50), 0);
    assert.equal(bucket.available, -40);
    assert.equal(bucket.take(10), 500); // the debt is paid back at the rate
  });
  await t.step("over a long run the grants match rate × time", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(5000, { burst: 500, now: clock.now });
    let granted = 0;
    while (clock.now() < 10_000) {
      const wait = bucket.take(250);
      if (wait === 0) granted += 250;
      else clock.advance(wait);
    }
    assert.ok(granted >= 49_500 && granted <= 50_250, `granted ${granted}`);
  });
  await t.step("rejects a bad rate", () => {
    assert.throws(() => new TokenBucket(0), RangeError);
    assert.throws(() => new TokenBucket(NaN), RangeError);
  });
});

Deno.test("RateGate.acquire() serves requests in order at the bucket's rate", async (t) => {
  await t.step("first come, first served", async () => {
    const clock = fakeClock();
    const gate = new RateGate(new TokenBucket(100, { burst: 100, now: clock.now }), {
      timer: clock.timer,
    });
    const order: string[] = [];
    const a = gate.acquire(50).then((ok) => order.push(`a${ok}`));
    const b = gate.acquire(10).then((ok) => order.push(`b${ok}`));
    assert.equal(gate.waiting, 2);
    clock.advance(499);
    await Promise.resolve();
    assert.deepEqual(order, []);
    clock.advance(1); // 500 ms: 50 tokens for a
    await a;
    clock.advance(100); // 10 more for b
    await b;
    assert.deepEqual(order, ["atrue", "btrue"]);
    assert.equal(clock.pending, 0);
  });
  await t.step("close() resolves waiting and later requests with false", async () => {
    const clock = fakeClock();
    const gate = new RateGate(new TokenBucket(10, { now: clock.now }), { timer: clock.timer });
    const waiting = gate.acquire(5);
    gate.close();
    assert.equal(await waiting, false);
    assert.equal(await gate.acquire(1), false);
    assert.equal(clock.pending, 0);
  });
  await t.step("grants 10 s worth of a 2000/s cap in about 10 s of fake time", async () => {
    const clock = fakeClock();
    const gate = new RateGate(new TokenBucket(2000, { now: clock.now }), { timer: clock.timer });
    let granted = 0;
    const requests: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      requests.push(gate.acquire(100).then((ok) => void (ok && (granted += 100))));
    }
    clock.advance(9_000);
    await Promise.resolve();
    assert.ok(granted <= 18_100, `granted ${granted} by 9 s`);
    clock.advance(1_000);
    await Promise.all(requests);
    assert.equal(granted, 20_000);
  });
});
