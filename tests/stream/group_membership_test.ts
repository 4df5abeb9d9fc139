import assert from "node:assert/strict";
import { type EvictOutcome, GroupMembership } from "../../src/stream/group_membership.ts";
import { FakeClock, settle } from "../../src/util/fake_clock.ts";

/** An evict port that fails while `down` and records what it was asked. */
function port() {
  const asked: string[] = [];
  const state = { down: false, gone: new Set<string>() };
  const evict = (memberId: string): Promise<EvictOutcome> => {
    asked.push(memberId);
    if (state.down) return Promise.reject(new Error("no answer in 5000 ms"));
    if (state.gone.has(memberId)) return Promise.resolve("not-a-member");
    state.gone.add(memberId);
    return Promise.resolve("removed");
  };
  return { asked, state, evict };
}

Deno.test("GroupMembership.remove() reports the outcome, or the failure unless quiet", async () => {
  const { state, evict } = port();
  const lines: string[] = [];
  const m = new GroupMembership({ group: "g", evict, log: (l) => lines.push(l) });
  assert.equal(await m.remove("m-1", "the dead trainer's"), true);
  assert.equal(await m.remove("m-1", "the dead trainer's"), true);
  state.down = true;
  assert.equal(await m.remove("m-2", "the dead trainer's"), false);
  assert.equal(await m.remove("m-3", "the dead trainer's", true), false);
  assert.deepEqual(lines, [
    "removed the dead trainer's member m-1 from group g",
    "the dead trainer's member m-1 had already left group g",
    "warning: no answer in 5000 ms; joining waits until the group drops the dead trainer's member",
  ]);
});

Deno.test("GroupMembership.restarted() retries the former member's removal at a fixed interval until it succeeds", async () => {
  const clock = new FakeClock(0);
  const { asked, state, evict } = port();
  const m = new GroupMembership({ group: "g", evict, clock, retryIntervalMs: 1000 });
  await m.joined("m-1");
  assert.equal(m.member, "m-1");
  state.down = true;
  m.restarted("m-1");
  assert.equal(m.member, undefined);
  await clock.tick(2500);
  assert.deepEqual(asked, ["m-1", "m-1", "m-1"]);
  state.down = false;
  await clock.tick(500);
  assert.deepEqual(await m.settled(), []);
  assert.deepEqual(asked, ["m-1", "m-1", "m-1", "m-1"]);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("GroupMembership.removeSoon() gives up after its attempts, or at once on abort", async () => {
  const clock = new FakeClock(0);
  const stop = new AbortController();
  const { asked, state, evict } = port();
  state.down = true;
  const m = new GroupMembership({
    group: "g",
    evict,
    clock,
    signal: stop.signal,
    retryAttempts: 3,
  });
  const bounded = m.removeSoon("m-1", "x");
  await clock.tick(10_000);
  assert.equal(await bounded, false);
  assert.equal(asked.length, 3);
  const aborted = m.removeSoon("m-2", "x");
  await settle();
  stop.abort();
  assert.equal(await aborted, false);
  assert.equal(asked.filter((a) => a === "m-2").length, 1);
});

Deno.test("GroupMembership: joined() records the member, beforeReconnect() removes a failed one", async () => {
  const recorded: string[] = [];
  const { asked, state, evict } = port();
  const m = new GroupMembership({
    group: "g",
    evict,
    record: (id) => Promise.resolve(void recorded.push(id)),
  });
  await m.beforeReconnect(); // no member yet: nothing to remove
  assert.deepEqual(asked, []);
  await m.joined("m-7");
  assert.deepEqual(recorded, ["m-7"]);
  state.down = true;
  await m.beforeReconnect(); // unreachable: kept, to try again next time
  assert.equal(m.member, "m-7");
  state.down = false;
  await m.beforeReconnect();
  assert.equal(m.member, undefined);
  assert.deepEqual(asked, ["m-7", "m-7"]);
});
