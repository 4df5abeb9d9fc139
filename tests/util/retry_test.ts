import assert from "node:assert/strict";
import { retry } from "../../src/util/retry.ts";
import { FakeClock, settle } from "../../src/util/fake_clock.ts";

/** An operation that fails `failures` times, then returns `"ok"`; records when it was called. */
function flaky(clock: FakeClock, failures: number) {
  const calls: number[] = [];
  const operation = (attempt: number) => {
    calls.push(clock.now());
    if (attempt <= failures) return Promise.reject(new Error(`failure ${attempt}`));
    return Promise.resolve(`ok after ${attempt}`);
  };
  return { calls, operation };
}

Deno.test("retry() waits with exponential backoff, capped, and reports each failure", async () => {
  const clock = new FakeClock(0);
  const { calls, operation } = flaky(clock, 5);
  const reports: string[] = [];
  const result = retry(operation, {
    clock,
    initialDelayMs: 100,
    maxDelayMs: 500,
    onRetry: (error, attempt, delay) => reports.push(`${error.message}/${attempt}/${delay}`),
  });
  await clock.tick(10_000);
  assert.equal(await result, "ok after 6");
  assert.deepEqual(calls, [0, 100, 300, 700, 1200, 1700]);
  assert.deepEqual(reports, [
    "failure 1/1/100",
    "failure 2/2/200",
    "failure 3/3/400",
    "failure 4/4/500",
    "failure 5/5/500",
  ]);
});

Deno.test("retry() with factor 1 is a fixed interval, and stops after maxAttempts", async () => {
  const clock = new FakeClock(0);
  const { calls, operation } = flaky(clock, 100);
  const result = retry(operation, { clock, initialDelayMs: 1000, factor: 1, maxAttempts: 4 });
  const outcome = result.catch((e) => e);
  await clock.tick(10_000);
  assert.equal((await outcome).message, "failure 4");
  assert.deepEqual(calls, [0, 1000, 2000, 3000]);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("retry() stops at once when its signal aborts during a wait, throwing the last error", async () => {
  const clock = new FakeClock(0);
  const stop = new AbortController();
  const { calls, operation } = flaky(clock, 100);
  const outcome = retry(operation, { clock, initialDelayMs: 1000, signal: stop.signal }).catch((
    e,
  ) => e);
  await clock.tick(1500);
  stop.abort();
  await settle();
  assert.equal((await outcome).message, "failure 2");
  assert.deepEqual(calls, [0, 1000]);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("retry() with a failed first attempt starts with the wait and counts it as attempt 1", async () => {
  const clock = new FakeClock(0);
  const attempts: number[] = [];
  const reports: number[] = [];
  const result = retry((attempt) => {
    attempts.push(attempt);
    return Promise.resolve(attempt);
  }, { clock, failed: new Error("went away"), onRetry: (_e, attempt) => reports.push(attempt) });
  await clock.tick(200);
  assert.equal(await result, 2);
  assert.deepEqual(attempts, [2]);
  assert.deepEqual(reports, [1]);
});

Deno.test("retry() refuses bad options, naming the value", async () => {
  const op = () => Promise.resolve(1);
  await assert.rejects(() => retry(op, { initialDelayMs: -1 }), /initialDelayMs -1/);
  await assert.rejects(() => retry(op, { factor: 0.5 }), /factor 0.5/);
  await assert.rejects(() => retry(op, { maxAttempts: 0 }), /maxAttempts 0/);
  await assert.rejects(() => retry(op, { maxAttempts: 1.5 }), /maxAttempts 1.5/);
});

Deno.test("retry() throws at once an error that shouldRetry refuses", async () => {
  const clock = new FakeClock(0);
  const { calls, operation } = flaky(clock, 100);
  const outcome = retry(operation, {
    clock,
    shouldRetry: (_error, attempt) => attempt < 3,
  }).catch((e) => e);
  await clock.tick(10_000);
  assert.equal((await outcome).message, "failure 3");
  assert.deepEqual(calls, [0, 200, 600]);
});
