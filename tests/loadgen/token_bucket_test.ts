/** Token bucket and rate gate on fake time. */
import assert from "node:assert/strict";
import { RateGate, TokenBucket } from "../../src/loadgen/token_bucket.ts";
import { FakeClock } from "../../src/util/fake_clock.ts";

Deno.test("TokenBucket.take() grants at the rate, never above the burst", async (t) => {
  await t.step("starts empty and refills at the rate", async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(1000, { burst: 100, clock });
    assert.equal(bucket.take(10), 10); // 10 tokens at 1000/s: 10 ms
    await clock.tick(10);
    assert.equal(bucket.take(10), 0);
    assert.equal(bucket.available, 0);
  });
  await t.step("stores at most the burst", async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(1000, { burst: 100, clock });
    await clock.tick(60_000);
    assert.equal(bucket.available, 100);
    assert.equal(bucket.take(100), 0);
    assert.equal(bucket.take(1), 1);
  });
  await t.step("a take above the burst waits for a full bucket, then leaves a debt", async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(100, { burst: 10, clock });
    assert.equal(bucket.take(50), 100); // needs the burst (10) first: 100 ms
    await clock.tick(100);
    assert.equal(bucket.take(50), 0);
    assert.equal(bucket.available, -40);
    assert.equal(bucket.take(10), 500); // the debt is paid back at the rate
  });
  await t.step("over a long run the grants match rate × time", async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(5000, { burst: 500, clock });
    let granted = 0;
    while (clock.now() < 10_000) {
      const wait = bucket.take(250);
      if (wait === 0) granted += 250;
      else await clock.tick(wait);
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
    const clock = new FakeClock(0);
    const gate = new RateGate(new TokenBucket(100, { burst: 100, clock }), {
      clock,
    });
    const order: string[] = [];
    const a = gate.acquire(50).then((ok) => order.push(`a${ok}`));
    const b = gate.acquire(10).then((ok) => order.push(`b${ok}`));
    assert.equal(gate.waiting, 2);
    await clock.tick(499);
    await Promise.resolve();
    assert.deepEqual(order, []);
    await clock.tick(1); // 500 ms: 50 tokens for a
    await a;
    await clock.tick(100); // 10 more for b
    await b;
    assert.deepEqual(order, ["atrue", "btrue"]);
    assert.equal(clock.pendingTimers, 0);
  });
  await t.step("close() resolves waiting and later requests with false", async () => {
    const clock = new FakeClock(0);
    const gate = new RateGate(new TokenBucket(10, { clock }), { clock });
    const waiting = gate.acquire(5);
    gate.close();
    assert.equal(await waiting, false);
    assert.equal(await gate.acquire(1), false);
    assert.equal(clock.pendingTimers, 0);
  });
  await t.step("grants 10 s worth of a 2000/s cap in about 10 s of fake time", async () => {
    const clock = new FakeClock(0);
    const gate = new RateGate(new TokenBucket(2000, { clock }), { clock });
    let granted = 0;
    const requests: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      requests.push(gate.acquire(100).then((ok) => void (ok && (granted += 100))));
    }
    await clock.tick(9_000);
    await Promise.resolve();
    assert.ok(granted <= 18_100, `granted ${granted} by 9 s`);
    await clock.tick(1_000);
    await Promise.all(requests);
    assert.equal(granted, 20_000);
  });
});
