import assert from "node:assert/strict";
import { FakeClock } from "../../src/util/fake_clock.ts";

Deno.test("FakeClock fires timers in due order at their own time, ties in the order set", async () => {
  const clock = new FakeClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
  const cleared = clock.setTimeout(() => fired.push("never"), 5);
  clock.clearTimeout(cleared);
  assert.equal(clock.pendingTimers, 3);
  await clock.tick(15);
  assert.deepEqual(fired, ["a@10"]);
  assert.equal(clock.now(), 15);
  await clock.tick(5);
  assert.deepEqual(fired, ["a@10", "b@20", "c@20"]);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("FakeClock.tick() runs a timer that an awaited timer sets, within the same tick", async () => {
  const clock = new FakeClock(0);
  const times: number[] = [];
  (async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 100));
      times.push(clock.now());
    }
  })();
  await clock.tick(250);
  assert.deepEqual(times, [100, 200]);
  assert.equal(await clock.next(), true);
  assert.deepEqual(times, [100, 200, 300]);
  assert.equal(await clock.next(), false);
});

Deno.test("FakeClock.tick() refuses a negative or infinite step, naming it", async () => {
  const clock = new FakeClock();
  await assert.rejects(() => clock.tick(-1), /by -1 ms/);
  await assert.rejects(() => clock.tick(Infinity), /by Infinity ms/);
});
