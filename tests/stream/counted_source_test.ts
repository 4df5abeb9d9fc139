import assert from "node:assert/strict";
import { CountedSource } from "../../src/stream/counted_source.ts";
import type { ReadyIterator } from "../../src/util/ready_iterator.ts";

/** A source that holds `ready` items at hand, then `later` ones behind a promise each. */
function source(ready: number[], later: number[]): AsyncIterable<number> {
  return {
    [Symbol.asyncIterator](): ReadyIterator<number> {
      return {
        nextReady: () => ready.length > 0 ? { done: false, value: ready.shift()! } : undefined,
        next: () =>
          Promise.resolve(
            ready.length > 0
              ? { done: false, value: ready.shift()! }
              : later.length > 0
              ? { done: false, value: later.shift()! }
              : { done: true, value: undefined },
          ),
      };
    },
  };
}

Deno.test("CountedSource counts what it hands out, through nextReady() and next(), not the end", async () => {
  const counted = new CountedSource(source([1, 2, 3], [4, 5]));
  const it = counted[Symbol.asyncIterator]();
  assert.equal(counted.count, 0);
  assert.deepEqual(it.nextReady(), { done: false, value: 1 });
  assert.deepEqual(it.nextReady(), { done: false, value: 2 });
  assert.equal(counted.count, 2);
  assert.deepEqual(await it.next(), { done: false, value: 3 });
  assert.equal(it.nextReady(), undefined);
  assert.equal(counted.count, 3);
  const rest: number[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  assert.deepEqual(rest, [4, 5]);
  assert.equal(counted.count, 5);
});

Deno.test("CountedSource over a source without nextReady() asks next() for everything", async () => {
  async function* plain() {
    yield* [7, 8];
  }
  const counted = new CountedSource(plain());
  const seen: number[] = [];
  for await (const x of counted) seen.push(x);
  assert.deepEqual(seen, [7, 8]);
  assert.equal(counted.count, 2);
  assert.equal(counted[Symbol.asyncIterator]().nextReady(), undefined);
});
