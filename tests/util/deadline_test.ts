import assert from "node:assert/strict";
import { DeadlineError, settleWithin, withDeadline } from "../../src/util/deadline.ts";
import { FakeClock, settle } from "../../src/util/fake_clock.ts";

Deno.test("withDeadline() passes a value or an error through and clears its timer", async () => {
  const clock = new FakeClock();
  assert.equal(await withDeadline(Promise.resolve(7), 100, { clock }), 7);
  await assert.rejects(
    withDeadline(Promise.reject(new Error("no")), 100, { clock }),
    /^Error: no$/,
  );
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("withDeadline() rejects with a DeadlineError naming what took too long", async () => {
  const clock = new FakeClock();
  const never = new Promise<number>(() => {});
  const late = withDeadline(never, 5000, { clock, what: "removing member m-1" });
  const outcome = late.catch((e) => e);
  await clock.tick(4999);
  await clock.tick(1);
  const error = await outcome;
  assert.ok(error instanceof DeadlineError);
  assert.equal(error.ms, 5000);
  assert.equal(error.message, "removing member m-1 took longer than 5000 ms");
  const custom = withDeadline(never, 10, { clock, message: "no answer in 10 ms" }).catch((e) => e);
  await clock.tick(10);
  assert.equal((await custom).message, "no answer in 10 ms");
});

Deno.test("withDeadline() refuses a negative deadline, naming it", () => {
  assert.throws(() => withDeadline(Promise.resolve(1), -5), /deadline of -5 ms/);
});

Deno.test("settleWithin() says whether the promise settled in time, either way", async () => {
  const clock = new FakeClock();
  assert.equal(await settleWithin(Promise.resolve(), 100, clock), true);
  assert.equal(await settleWithin(Promise.reject(new Error("x")), 100, clock), true);
  let answer: boolean | undefined;
  settleWithin(new Promise(() => {}), 100, clock).then((a) => answer = a);
  await clock.tick(99);
  assert.equal(answer, undefined);
  await clock.tick(1);
  await settle();
  assert.equal(answer, false);
  assert.equal(clock.pendingTimers, 0);
});
