import assert from "node:assert/strict";
import { MicroBatcher, READY_ITEMS_PER_CLOCK_READ } from "../../src/stream/batcher.ts";
import type { Clock } from "../../src/util/clock.ts";
import { FakeClock } from "../../src/util/fake_clock.ts";
import type { ReadyIterator } from "../../src/util/ready_iterator.ts";

/** A source the test feeds by hand; counts how often the batcher pulled from it. */
class ManualSource<T> implements AsyncIterable<T>, AsyncIterator<T> {
  #queue: T[] = [];
  #waiters: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  #end: { error: unknown } | "done" | null = null;
  pulls = 0;
  returned = 0;

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
  next(): Promise<IteratorResult<T>> {
    this.pulls++;
    if (this.#queue.length > 0) {
      return Promise.resolve({ value: this.#queue.shift()!, done: false });
    }
    if (this.#end === "done") return Promise.resolve({ value: undefined, done: true });
    if (this.#end !== null) return Promise.reject(this.#end.error);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
  return(): Promise<IteratorResult<T>> {
    this.returned++;
    this.#end = "done";
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }
  push(...items: T[]): void {
    for (const item of items) {
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve({ value: item, done: false });
      else this.#queue.push(item);
    }
  }
  end(): void {
    this.#end = "done";
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }
  fail(error: unknown): void {
    this.#end = { error };
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }
  /** Items pushed and not yet pulled. */
  get queued(): number {
    return this.#queue.length;
  }
}

/** Tracks whether a promise settled, without awaiting it. */
function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  return { settled: () => settled, promise };
}

function setup(options: ConstructorParameters<typeof MicroBatcher<number>>[1] = {}) {
  const clock = new FakeClock();
  const source = new ManualSource<number>();
  const batcher = new MicroBatcher(source, { clock, ...options });
  const iterator = batcher[Symbol.asyncIterator]();
  return { clock, source, batcher, iterator };
}

Deno.test("MicroBatcher closes a batch when the interval fires", async () => {
  const { clock, source, batcher, iterator } = setup({ triggerMs: 100 });
  const first = track(iterator.next());
  source.push(1, 2, 3);
  await clock.tick(99);
  assert.equal(first.settled(), false);
  source.push(4);
  await clock.tick(1);
  assert.deepEqual(await first.promise, { value: [1, 2, 3, 4], done: false });
  assert.equal(batcher.lastClose, "interval");

  // The next interval starts when the next batch is asked for.
  await clock.tick(500);
  const second = track(iterator.next());
  source.push(5);
  await clock.tick(99);
  assert.equal(second.settled(), false);
  await clock.tick(1);
  assert.deepEqual(await second.promise, { value: [5], done: false });
  assert.equal(batcher.batches, 2);
  await iterator.return!();
});

Deno.test("MicroBatcher works with a 100 ms trigger over many intervals", async () => {
  const { clock, source, iterator } = setup({ triggerMs: 100 });
  for (let i = 0; i < 20; i++) {
    const next = iterator.next();
    source.push(i * 2, i * 2 + 1);
    await clock.tick(100);
    assert.deepEqual((await next).value, [i * 2, i * 2 + 1]);
  }
  await iterator.return!();
});

Deno.test("MicroBatcher closes a batch at maxEvents before the interval fires", async () => {
  const { clock, source, batcher, iterator } = setup({ triggerMs: 1000, maxEvents: 3 });
  source.push(1, 2, 3, 4, 5);
  assert.deepEqual(await iterator.next(), { value: [1, 2, 3], done: false });
  assert.equal(batcher.lastClose, "max_events");
  assert.equal(source.pulls, 3, "reads no further than maxEvents");
  const second = track(iterator.next());
  await clock.tick(999);
  assert.equal(second.settled(), false);
  await clock.tick(1);
  assert.deepEqual(await second.promise, { value: [4, 5], done: false });
  assert.equal(batcher.lastClose, "interval");
  await iterator.return!();
});

Deno.test("MicroBatcher closes a batch at maxBytes and carries the item that does not fit", async (t) => {
  await t.step("an item over the limit opens the next batch", async () => {
    const { source, batcher, iterator } = setup({
      triggerMs: 1000,
      weight: (n) => n,
      maxBytes: 10,
    });
    source.push(4, 4, 4, 6, 3);
    assert.deepEqual((await iterator.next()).value, [4, 4]);
    assert.equal(batcher.lastClose, "max_bytes");
    assert.deepEqual((await iterator.next()).value, [4, 6]);
    assert.equal(batcher.lastClose, "max_bytes");
    source.end();
    assert.deepEqual((await iterator.next()).value, [3]);
    assert.equal(batcher.lastClose, "end");
    assert.equal((await iterator.next()).done, true);
  });
  await t.step("a single item heavier than maxBytes is a batch of its own", async () => {
    const { source, iterator } = setup({ triggerMs: 1000, weight: (n) => n, maxBytes: 10 });
    source.push(2, 50, 1);
    source.end();
    assert.deepEqual((await iterator.next()).value, [2]);
    assert.deepEqual((await iterator.next()).value, [50]);
    assert.deepEqual((await iterator.next()).value, [1]);
    assert.equal((await iterator.next()).done, true);
  });
});

Deno.test("MicroBatcher yields nothing for an empty interval unless emitEmpty is set", async (t) => {
  await t.step("emitEmpty: false (default) stays silent and starts a new interval", async () => {
    const { clock, source, batcher, iterator } = setup({ triggerMs: 100 });
    const next = track(iterator.next());
    await clock.tick(350);
    assert.equal(next.settled(), false);
    assert.equal(batcher.batches, 0);
    source.push(7);
    // The interval that started at 300 ms ends at 400 ms.
    await clock.tick(49);
    assert.equal(next.settled(), false);
    await clock.tick(1);
    assert.deepEqual(await next.promise, { value: [7], done: false });
    await iterator.return!();
  });
  await t.step("emitEmpty: true yields [] at the end of an empty interval", async () => {
    const { clock, source, batcher, iterator } = setup({ triggerMs: 100, emitEmpty: true });
    const next = track(iterator.next());
    await clock.tick(99);
    assert.equal(next.settled(), false);
    await clock.tick(1);
    assert.deepEqual(await next.promise, { value: [], done: false });
    assert.equal(batcher.lastClose, "interval");
    const second = iterator.next();
    source.push(1);
    await clock.tick(100);
    assert.deepEqual((await second).value, [1]);
    await iterator.return!();
  });
});

Deno.test("MicroBatcher does not read ahead while a slow consumer works on a batch", async () => {
  const { clock, source, iterator } = setup({ triggerMs: 100 });
  const first = iterator.next();
  source.push(1);
  await clock.tick(100);
  assert.deepEqual((await first).value, [1]);
  // One next() is in flight (it was pending when the timer fired), and no more.
  assert.equal(source.pulls, 2);

  // The consumer takes ten intervals; the producer keeps writing.
  for (let i = 0; i < 10; i++) {
    source.push(...Array.from({ length: 5 }, (_, j) => 100 + i * 5 + j));
    await clock.tick(100);
  }
  assert.equal(source.pulls, 2, "no reads while the consumer works");
  assert.equal(source.queued, 49, "the source holds the backlog (the in-flight read took one)");

  // Back for more: one batch with everything, nothing lost, order kept.
  const second = iterator.next();
  await clock.tick(100);
  assert.deepEqual((await second).value, Array.from({ length: 50 }, (_, j) => 100 + j));
  await iterator.return!();
});

Deno.test("MicroBatcher keeps the item of a read that was pending when the timer fired", async () => {
  const { clock, source, iterator } = setup({ triggerMs: 100 });
  const first = iterator.next();
  source.push(1);
  await clock.tick(100);
  assert.deepEqual((await first).value, [1]);
  // The in-flight read completes while the consumer works.
  source.push(2);
  await clock.tick(10);
  const second = iterator.next();
  source.push(3);
  await clock.tick(100);
  assert.deepEqual((await second).value, [2, 3]);
  await iterator.return!();
});

Deno.test("MicroBatcher checks the clock when a busy source never lets the timer run", async () => {
  let now = 0;
  const clock: Clock = {
    now: () => (now += 10),
    setTimeout: () => 0,
    clearTimeout: () => {},
  };
  async function* endless() {
    for (let i = 0;; i++) yield i;
  }
  const batcher = new MicroBatcher(endless(), { triggerMs: 100, clock });
  const sizes: number[] = [];
  for await (const batch of batcher) {
    sizes.push(batch.length);
    if (sizes.length === 3) break;
  }
  assert.equal(sizes.length, 3);
  for (const size of sizes) assert.ok(size > 0 && size <= 10, `batch of ${size}`);
  assert.equal(batcher.lastClose, "interval");
});

Deno.test("MicroBatcher yields the partial batch and ends when its signal aborts", async (t) => {
  await t.step("abort while a batch accumulates", async () => {
    const controller = new AbortController();
    const { clock, source, batcher, iterator } = setup({
      triggerMs: 1000,
      signal: controller.signal,
    });
    const next = track(iterator.next());
    source.push(1, 2);
    await clock.tick(10);
    assert.equal(next.settled(), false);
    controller.abort();
    assert.deepEqual(await next.promise, { value: [1, 2], done: false });
    assert.equal(batcher.lastClose, "abort");
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    assert.equal(source.returned, 1);
    assert.equal(clock.pendingTimers, 0);
  });
  await t.step("abort while the consumer works: an item already read comes out last", async () => {
    const controller = new AbortController();
    const { clock, source, iterator } = setup({ triggerMs: 100, signal: controller.signal });
    const first = iterator.next();
    source.push(1);
    await clock.tick(100);
    assert.deepEqual((await first).value, [1]);
    source.push(2);
    await clock.tick(10);
    controller.abort();
    assert.deepEqual(await iterator.next(), { value: [2], done: false });
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    assert.equal(source.returned, 1);
  });
  await t.step("abort with nothing buffered ends at once", async () => {
    const controller = new AbortController();
    const { clock, source, iterator } = setup({ triggerMs: 100, signal: controller.signal });
    const next = iterator.next();
    await clock.tick(10);
    controller.abort();
    assert.deepEqual(await next, { value: undefined, done: true });
    assert.equal(source.returned, 1);
  });
  await t.step("a signal aborted before the start yields nothing", async () => {
    const { source, iterator } = setup({ signal: AbortSignal.abort() });
    source.push(1);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });
});

Deno.test("MicroBatcher yields the last partial batch when the source ends", async () => {
  const { source, batcher, iterator } = setup({ triggerMs: 1000 });
  source.push(1, 2);
  source.end();
  assert.deepEqual(await iterator.next(), { value: [1, 2], done: false });
  assert.equal(batcher.lastClose, "end");
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  assert.equal(source.returned, 0, "a source that ended is not returned");
});

Deno.test("MicroBatcher yields the items before a source error, then throws it", async (t) => {
  await t.step("with items before the error", async () => {
    const { source, batcher, iterator } = setup({ triggerMs: 1000 });
    const boom = new Error("broker gone");
    source.push(1, 2);
    source.fail(boom);
    assert.deepEqual(await iterator.next(), { value: [1, 2], done: false });
    assert.equal(batcher.lastClose, "error");
    await assert.rejects(iterator.next(), (e) => e === boom);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });
  await t.step("a next() that throws instead of rejecting", async () => {
    let calls = 0;
    const boom = new Error("sync");
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          if (++calls > 2) throw boom;
          return Promise.resolve({ value: calls, done: false });
        },
      }),
    };
    const iterator = new MicroBatcher(source, { clock: new FakeClock() })[Symbol.asyncIterator]();
    assert.deepEqual((await iterator.next()).value, [1, 2]);
    await assert.rejects(iterator.next(), (e) => e === boom);
  });
  await t.step("with no item before the error", async () => {
    const { clock, source, iterator } = setup({ triggerMs: 1000 });
    const boom = new Error("broker gone");
    const next = iterator.next();
    await clock.tick(5);
    source.fail(boom);
    await assert.rejects(next, (e) => e === boom);
  });
});

Deno.test("MicroBatcher returns the source when the consumer breaks out of for await", async () => {
  const source = new ManualSource<number>();
  const batcher = new MicroBatcher(source, { maxEvents: 2, clock: new FakeClock() });
  source.push(1, 2, 3);
  for await (const batch of batcher) {
    assert.deepEqual(batch, [1, 2]);
    break;
  }
  assert.equal(source.returned, 1);
});

Deno.test("MicroBatcher[Symbol.asyncDispose]() ends a waiting iteration with its partial batch", async () => {
  const clock = new FakeClock();
  const source = new ManualSource<number>();
  const batches: number[][] = [];
  let loop: Promise<void>;
  {
    await using batcher = new MicroBatcher(source, { triggerMs: 1000, clock });
    loop = (async () => {
      for await (const batch of batcher) batches.push(batch);
    })();
    source.push(1, 2);
    await clock.tick(10);
  }
  await loop;
  assert.deepEqual(batches, [[1, 2]]);
  assert.equal(source.returned, 1);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("MicroBatcher can be iterated only once", () => {
  const batcher = new MicroBatcher(new ManualSource<number>(), { clock: new FakeClock() });
  batcher[Symbol.asyncIterator]();
  assert.throws(() => batcher[Symbol.asyncIterator](), TypeError);
});

Deno.test("MicroBatcher rejects options that cannot work", async (t) => {
  const source = new ManualSource<number>();
  const cases: [string, ConstructorParameters<typeof MicroBatcher<number>>[1], ErrorConstructor][] =
    [
      ["a zero trigger", { triggerMs: 0 }, RangeError],
      ["a NaN trigger", { triggerMs: NaN }, RangeError],
      ["a zero maxEvents", { maxEvents: 0 }, RangeError],
      ["a fractional maxEvents", { maxEvents: 2.5 }, RangeError],
      ["a negative maxBytes", { maxBytes: -1, weight: () => 1 }, RangeError],
      ["maxBytes without weight", { maxBytes: 100 }, TypeError],
      ["a zero drainedAt", { drainedAt: 0 }, RangeError],
      ["a NaN drainedAt", { drainedAt: NaN }, RangeError],
      ["no trigger at all", { triggerMs: Infinity }, TypeError],
    ];
  for (const [name, options, type] of cases) {
    await t.step(name, () => {
      assert.throws(() => new MicroBatcher(source, options), type);
    });
  }
  await t.step("size triggers alone are enough", () => {
    new MicroBatcher(source, { triggerMs: Infinity, maxEvents: 10 });
  });
});

Deno.test("MicroBatcher loses, repeats and reorders no item under random timing", async () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let run = 0; run < 30; run++) {
    const maxEvents = 1 + Math.floor(random() * 8);
    const { clock, source, iterator } = setup({ triggerMs: 100, maxEvents });
    let pushed = 0;
    const received: number[] = [];
    while (pushed < 300) {
      const next = track(iterator.next());
      // The producer writes at random moments while the batch accumulates.
      while (!next.settled()) {
        const burst = Math.floor(random() * 4);
        for (let i = 0; i < burst; i++) source.push(pushed++);
        await clock.tick(Math.floor(random() * 60));
      }
      const { value } = await next.promise;
      assert.ok(value.length >= 1 && value.length <= maxEvents, `batch of ${value.length}`);
      received.push(...value);
      // The consumer works for a random while.
      await clock.tick(Math.floor(random() * 300));
    }
    source.end();
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      received.push(...r.value);
    }
    assert.deepEqual(received, Array.from({ length: pushed }, (_, i) => i), `run ${run}`);
  }
});

/** A ManualSource that also hands out queued items synchronously (like the Kafka consumer). */
class ReadySource<T> extends ManualSource<T> implements ReadyIterator<T> {
  readyPulls = 0;
  #items: T[] = [];
  #failure: { error: unknown } | null = null;
  override [Symbol.asyncIterator](): ReadyIterator<T> {
    return this;
  }
  nextReady(): IteratorResult<T> | undefined {
    if (this.#failure !== null) throw this.#failure.error;
    if (this.#items.length === 0) return undefined;
    this.readyPulls++;
    return { value: this.#items.shift()!, done: false };
  }
  /** Items that nextReady() hands out (next() does not see them). */
  hold(...items: T[]): void {
    this.#items.push(...items);
  }
  failReady(error: unknown): void {
    this.#failure = { error };
  }
}

Deno.test("MicroBatcher takes ready items through nextReady(), with the same batch rules", async (t) => {
  await t.step("maxEvents, then the interval; next() only to wait", async () => {
    const clock = new FakeClock();
    const source = new ReadySource<number>();
    const batcher = new MicroBatcher(source, { clock, triggerMs: 1000, maxEvents: 3 });
    const iterator = batcher[Symbol.asyncIterator]();
    source.hold(1, 2, 3, 4, 5);
    assert.deepEqual(await iterator.next(), { value: [1, 2, 3], done: false });
    assert.equal(batcher.lastClose, "max_events");
    assert.equal(source.readyPulls, 3);
    assert.equal(source.pulls, 0, "no promise while items are at hand");
    const second = track(iterator.next());
    await clock.tick(10);
    assert.equal(source.pulls, 1, "waits through next() once the ready items ran out");
    source.push(6); // arrives through the pending next()
    assert.deepEqual(await second.promise, { value: [4, 5, 6], done: false });
    assert.equal(batcher.lastClose, "max_events");
    source.hold(7);
    const third = track(iterator.next());
    await clock.tick(999);
    assert.equal(third.settled(), false);
    await clock.tick(1);
    assert.deepEqual(await third.promise, { value: [7], done: false });
    assert.equal(batcher.lastClose, "interval");
    await iterator.return!();
  });
  await t.step("a nextReady() that throws ends the stream after the items before it", async () => {
    const clock = new FakeClock();
    const source = new ReadySource<number>();
    const iterator = new MicroBatcher(source, { clock, triggerMs: 1000 })[Symbol.asyncIterator]();
    const boom = new Error("rebalance failed");
    source.hold(1, 2);
    const first = track(iterator.next());
    await clock.tick(1);
    source.failReady(boom);
    source.push(3); // the pending next() resolves; the following nextReady() throws
    assert.deepEqual(await first.promise, { value: [1, 2, 3], done: false });
    await assert.rejects(iterator.next(), (e) => e === boom);
  });
});

Deno.test("MicroBatcher reads the clock once per run of ready items, not per item", async () => {
  let reads = 0;
  const clock: Clock = { now: () => (reads++, 0), setTimeout: () => 0, clearTimeout: () => {} };
  const source = new ReadySource<number>();
  const items = 1000;
  source.hold(...Array.from({ length: items }, (_, i) => i));
  const batcher = new MicroBatcher(source, { clock, triggerMs: 1000, maxEvents: items });
  const iterator = batcher[Symbol.asyncIterator]();
  const batch = await iterator.next();
  assert.deepEqual(batch.value, Array.from({ length: items }, (_, i) => i));
  assert.equal(batcher.lastClose, "max_events");
  // The deadline, the loop's first look, and one read every READY_ITEMS_PER_CLOCK_READ items.
  const most = 2 + Math.floor(items / READY_ITEMS_PER_CLOCK_READ);
  assert.ok(reads <= most, `${reads} clock reads for ${items} ready items (at most ${most})`);
  await iterator.return!();
});

Deno.test("MicroBatcher still closes on the interval a source that is always ready", async () => {
  let now = 0;
  // Every read of the clock moves it 10 ms on: the 100 ms interval is over after 10 reads.
  const clock: Clock = { now: () => (now += 10), setTimeout: () => 0, clearTimeout: () => {} };
  let n = 0;
  const always: ReadyIterator<number> = {
    next: () => Promise.resolve({ value: n++, done: false }),
    nextReady: () => ({ value: n++, done: false }),
  };
  const batcher = new MicroBatcher({ [Symbol.asyncIterator]: () => always }, {
    triggerMs: 100,
    clock,
  });
  const sizes: number[] = [];
  for await (const batch of batcher) {
    sizes.push(batch.length);
    if (sizes.length === 3) break;
  }
  for (const size of sizes) {
    assert.ok(
      size > 0 && size <= 10 * READY_ITEMS_PER_CLOCK_READ,
      `a batch of ${size} (interval over after at most 10 clock reads)`,
    );
  }
  assert.equal(batcher.lastClose, "interval");
});

Deno.test("MicroBatcher with drainedAt closes a batch when the ready items run out", async (t) => {
  await t.step("by item count: below drainedAt it waits, at it it closes", async () => {
    const clock = new FakeClock();
    const source = new ReadySource<number>();
    const batcher = new MicroBatcher(source, { clock, triggerMs: 1000, drainedAt: 3 });
    const iterator = batcher[Symbol.asyncIterator]();
    source.hold(1, 2);
    const first = track(iterator.next());
    await clock.tick(10);
    assert.equal(first.settled(), false, "2 items < drainedAt 3: the batch waits");
    assert.equal(source.pulls, 1);
    source.push(3); // arrives through the pending next(); then nothing is ready
    assert.deepEqual(await first.promise, { value: [1, 2, 3], done: false });
    assert.equal(batcher.lastClose, "drained");
    source.hold(4, 5, 6, 7);
    assert.deepEqual(await iterator.next(), { value: [4, 5, 6, 7], done: false });
    assert.equal(batcher.lastClose, "drained");
    assert.equal(source.pulls, 1, "the second batch closed without waiting");
    assert.deepEqual(batcher.input.closes, { drained: 2 });
    await iterator.return!();
  });
  await t.step("by weight, and maxBytes still closes first", async () => {
    const clock = new FakeClock();
    const source = new ReadySource<number>();
    const batcher = new MicroBatcher(source, {
      clock,
      triggerMs: 1000,
      weight: (n) => n,
      maxBytes: 10,
      drainedAt: 5,
    });
    const iterator = batcher[Symbol.asyncIterator]();
    source.hold(4, 3, 3, 2, 1);
    assert.deepEqual(await iterator.next(), { value: [4, 3, 3], done: false });
    assert.equal(batcher.lastClose, "max_bytes");
    const second = track(iterator.next());
    await clock.tick(10);
    assert.equal(second.settled(), false, "weight 3 < drainedAt 5: waits");
    source.push(2);
    assert.deepEqual(await second.promise, { value: [2, 1, 2], done: false });
    assert.equal(batcher.lastClose, "drained");
    await iterator.return!();
  });
  await t.step("without drainedAt the same source fills the batch to its limit", async () => {
    const clock = new FakeClock();
    const source = new ReadySource<number>();
    const batcher = new MicroBatcher(source, { clock, triggerMs: 1000, maxEvents: 6 });
    const iterator = batcher[Symbol.asyncIterator]();
    source.hold(1, 2, 3, 4);
    const first = track(iterator.next());
    await clock.tick(10);
    assert.equal(first.settled(), false);
    source.push(5);
    await clock.tick(10);
    assert.equal(first.settled(), false, "nothing ready after 5: waits again");
    source.push(6);
    assert.deepEqual(await first.promise, { value: [1, 2, 3, 4, 5, 6], done: false });
    assert.equal(batcher.lastClose, "max_events");
    await iterator.return!();
  });
  await t.step("a source without nextReady() never closes a batch as drained", async () => {
    const clock = new FakeClock();
    const source = new ManualSource<number>();
    const batcher = new MicroBatcher(source, { clock, triggerMs: 100, drainedAt: 1 });
    const iterator = batcher[Symbol.asyncIterator]();
    source.push(1, 2);
    const first = track(iterator.next());
    await clock.tick(100);
    assert.deepEqual(await first.promise, { value: [1, 2], done: false });
    assert.equal(batcher.lastClose, "interval");
    await iterator.return!();
  });
});

Deno.test("MicroBatcher measures the time it waited for input, and the part mid-batch", async () => {
  const clock = new FakeClock();
  const source = new ReadySource<number>();
  const batcher = new MicroBatcher(source, { clock, triggerMs: 1000, maxEvents: 2 });
  const iterator = batcher[Symbol.asyncIterator]();
  const first = track(iterator.next());
  await clock.tick(50); // before the first item: not counted
  source.push(1);
  await clock.tick(30); // mid-batch
  source.push(2);
  assert.deepEqual(await first.promise, { value: [1, 2], done: false });
  assert.equal(batcher.input.waitMs, 30);
  assert.equal(batcher.input.midBatchWaitMs, 30);
  const second = track(iterator.next());
  await clock.tick(20); // an empty batch waits: counted in all, not mid-batch
  source.push(3);
  await clock.tick(5);
  source.push(4);
  assert.deepEqual(await second.promise, { value: [3, 4], done: false });
  assert.equal(batcher.input.waitMs, 55);
  assert.equal(batcher.input.midBatchWaitMs, 35);
  assert.equal(
    batcher.input.format(),
    "2 batches (max_events 2), waited 55 ms for records since the first (35 ms mid-batch)",
  );
  await iterator.return!();
});
