import assert from "node:assert/strict";
import { OpenSessions } from "../../src/generator/open_sessions.ts";
import { Random } from "../../src/util/random.ts";

Deno.test("OpenSessions pops slots in order of their due time, growing past its capacity", () => {
  const open = new OpenSessions(4);
  const r = new Random(3);
  const scheduled = new Map<number, number>();
  for (let i = 0; i < 500; i++) {
    const slot = open.allocate();
    assert.equal(scheduled.has(slot), false, `slot ${slot} handed out twice`);
    open.due[slot] = r.next() * 1000;
    open.push(slot);
    scheduled.set(slot, open.due[slot]);
  }
  assert.equal(open.size, 500);
  assert.ok(open.capacity >= 500);
  // move the first one later, then drain
  const top = open.top();
  open.due[top] += 2000;
  scheduled.set(top, open.due[top]);
  open.rescheduledTop();
  let previous = -Infinity;
  while (open.size > 0) {
    const slot = open.pop();
    assert.ok(open.due[slot] >= previous);
    assert.equal(open.due[slot], scheduled.get(slot));
    previous = open.due[slot];
    open.release(slot);
  }
  assert.equal(open.top(), -1);
  // released slots are reused, zeroed
  const slot = open.allocate();
  assert.ok(slot < 500);
  assert.equal(open.count[slot], 0);
  assert.equal(open.due[slot], 0);
  assert.throws(() => new OpenSessions(0), /capacity 0/);
});
