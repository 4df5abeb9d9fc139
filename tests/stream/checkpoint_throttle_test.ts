import assert from "node:assert/strict";
import { CheckpointThrottle } from "../../src/stream/checkpoint_throttle.ts";
import { FakeClock } from "../../src/util/fake_clock.ts";

function sink(clock: FakeClock) {
  const saved: number[] = [];
  return {
    saved,
    save: (state: number) => {
      saved.push(state);
      return Promise.resolve({ time: clock.now() });
    },
  };
}

Deno.test("CheckpointThrottle writes at most once per interval unless forced", async () => {
  const clock = new FakeClock(0);
  const s = sink(clock);
  const throttle = new CheckpointThrottle(s, { intervalMs: 1000, clock });
  assert.equal(await throttle.save(() => 1, false), 0); // the first one is due
  await clock.tick(999);
  assert.equal(await throttle.save(() => 2, false), null);
  assert.equal(await throttle.save(() => 3, true), 999);
  await clock.tick(999);
  assert.equal(throttle.due, false);
  await clock.tick(1);
  assert.equal(await throttle.save(() => 4, false), 1999);
  assert.deepEqual(s.saved, [1, 3, 4]);
});

Deno.test("CheckpointThrottle counts from the checkpoint resumed from; 0 writes after every batch", async () => {
  const clock = new FakeClock(10_000);
  const s = sink(clock);
  const resumed = new CheckpointThrottle(s, { intervalMs: 5000, last: 9000, clock });
  assert.equal(await resumed.save(() => 1, false), null);
  await clock.tick(4000);
  assert.equal(await resumed.save(() => 2, false), 14_000);
  const always = new CheckpointThrottle(s, { intervalMs: 0, clock });
  assert.equal(await always.save(() => 3, false), 14_000);
  assert.equal(await always.save(() => 4, false), 14_000);
  assert.deepEqual(s.saved, [2, 3, 4]);
  assert.throws(() => new CheckpointThrottle(s, { intervalMs: -1 }), /interval of -1 ms/);
});
