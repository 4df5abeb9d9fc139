import assert from "node:assert/strict";
import { sleep, SYSTEM_CLOCK } from "../../src/util/clock.ts";
import { FakeClock, settle } from "../../src/util/fake_clock.ts";

function track<T>(promise: Promise<T>) {
  const state = { settled: false, value: undefined as T | undefined };
  promise.then((value) => Object.assign(state, { settled: true, value }));
  return state;
}

Deno.test("sleep() resolves after its time on the injected clock, not before", async () => {
  const clock = new FakeClock();
  const slept = track(sleep(1000, { clock }));
  await clock.tick(999);
  assert.equal(slept.settled, false);
  await clock.tick(1);
  assert.equal(slept.settled, true);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("sleep() ends early on abort, and at once when already aborted, leaving no timer", async () => {
  const clock = new FakeClock();
  const stop = new AbortController();
  const slept = track(sleep(60_000, { clock, signal: stop.signal }));
  await clock.tick(10);
  assert.equal(slept.settled, false);
  stop.abort();
  await settle();
  assert.equal(slept.settled, true);
  assert.equal(clock.pendingTimers, 0);
  const again = track(sleep(60_000, { clock, signal: stop.signal }));
  await settle();
  assert.equal(again.settled, true);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("SYSTEM_CLOCK reads Date.now and its timers can be cleared", () => {
  const before = Date.now();
  const now = SYSTEM_CLOCK.now();
  assert.ok(now >= before && now <= Date.now());
  let fired = false;
  const handle = SYSTEM_CLOCK.setTimeout(() => fired = true, 0);
  SYSTEM_CLOCK.clearTimeout(handle);
  assert.equal(fired, false);
});
