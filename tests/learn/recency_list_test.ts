import assert from "node:assert/strict";
import { NIL, RecencyList } from "../../src/learn/recency_list.ts";

function order(list: RecencyList): number[] {
  const out: number[] = [];
  for (let s = list.head; s !== NIL; s = list.after(s)) out.push(s);
  return out;
}

Deno.test("RecencyList keeps slots least recently seen first through append, touch and unlink", () => {
  const list = new RecencyList(2);
  assert.deepEqual(order(list), []);
  assert.equal(list.tail, NIL);
  list.append(0);
  list.append(1);
  list.grow(4);
  assert.equal(list.capacity, 4);
  list.append(3);
  list.append(2);
  assert.deepEqual(order(list), [0, 1, 3, 2]);
  list.touch(1);
  assert.deepEqual(order(list), [0, 3, 2, 1]);
  list.touch(1); // already the tail
  list.unlink(0);
  assert.deepEqual(order(list), [3, 2, 1]);
  list.unlink(1);
  assert.equal(list.tail, 2);
  list.touch(3);
  assert.deepEqual(order(list), [2, 3]);
  list.unlink(2);
  list.unlink(3);
  assert.deepEqual(order(list), []);
  assert.equal(list.head, NIL);
  assert.equal(list.tail, NIL);
});
