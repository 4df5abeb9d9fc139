/**
 * The micro-batcher: turns an `AsyncIterable<T>` (in production the Kafka consumer's records)
 * into an `AsyncIterable<T[]>` of batches, the TypeScript stand-in for Spark's processing-time
 * trigger. A batch closes when its interval ends (`triggerMs`, measured from the moment the batch
 * starts accumulating), when it holds `maxEvents` items, or when its weight reaches `maxBytes`,
 * whichever comes first.
 *
 * Backpressure: the batcher reads from the source only while a batch is accumulating. While the
 * caller's `for await` body runs, at most one `source.next()` is in flight (the one that was
 * pending when the batch closed); its item is kept and opens the next batch, so nothing is lost
 * and nothing piles up, and a bounded source (the Kafka consumer) pauses when its buffer is full.
 *
 * Semantics, settled:
 * - **Interval.** A batch's interval starts when the caller asks for it (the first `next()`, or
 *   the next one after a batch was handed out) and lasts `triggerMs`. A slow caller therefore
 *   gets one batch per (processing time + interval), never a backlog of batches.
 * - **Empty interval.** By default an interval that saw no item yields nothing and a new interval
 *   starts at once; with `emitEmpty: true` it yields `[]` (so a trainer can publish health and
 *   lag while idle).
 * - **Abort** (`signal`, or `[Symbol.asyncDispose]`). The partial batch (if not empty) is yielded
 *   as the last batch, then iteration ends. A `source.next()` still pending is abandoned and its
 *   item, if one comes, is dropped: after an abort the source (Kafka, replaying from the
 *   checkpoint) is the one that keeps it.
 * - **Source ends.** The last partial batch is yielded, then iteration ends.
 * - **Source throws.** The items read before the error are yielded as a batch first; the
 *   following `next()` rejects with the source's error.
 * - The source iterator's `return()` is called when iteration stops early (a `break`, an abort,
 *   a dispose), not after the source ended or threw by itself.
 * - A source iterator with `nextReady()` ({@linkcode ReadyIterator}, the Kafka consumer) is read
 *   through it while it has items at hand, and through `next()` only to wait: the same items in
 *   the same batches, without a few promises per item. The interval is then checked after each
 *   run of ready items (a fetch, for the consumer) and every
 *   {@linkcode READY_ITEMS_PER_CLOCK_READ} items within one, not per item.
 * - **Drained** (`drainedAt`, off by default; `learn` uses it). A batch of such a source also
 *   closes when `nextReady()` has nothing more (the consumer's fetched batch is all taken, so
 *   kafkajs starts its next fetch) once its weight (its items without `weight`) reached
 *   `drainedAt`: the caller then works while the next fetch is on its way, instead of the batch
 *   waiting for it half-full and the fetch after it starting only once the caller is done.
 * - {@linkcode MicroBatcher.input}: batches by close reason, time spent waiting for the source.
 *
 * @module
 */

import { type Clock, SYSTEM_CLOCK } from "../util/clock.ts";
import { isReadyIterator } from "../util/ready_iterator.ts";
import { BatchInputStats } from "./batch_input_stats.ts";

/**
 * How many items in a row the batcher takes through `nextReady()` between two reads of the
 * clock: reading it per item was 3% of the trainer's time. A batch of a source that always has an
 * item ready therefore closes on its interval at most this many items late.
 */
export const READY_ITEMS_PER_CLOCK_READ = 128;

/** Why a batch closed; see {@linkcode MicroBatcher.lastClose}. */
export type BatchCloseReason =
  | "interval"
  | "max_events"
  | "max_bytes"
  | "drained"
  | "end"
  | "error"
  | "abort";

/** Options of {@linkcode MicroBatcher}. */
export interface MicroBatcherOptions<T> {
  /**
   * Processing-time trigger: a batch closes this many milliseconds after it started
   * accumulating. `Infinity` disables the interval (size triggers only). Default `1000`.
   */
  triggerMs?: number;
  /** A batch closes as soon as it holds this many items. Default `Infinity` (no size trigger). */
  maxEvents?: number;
  /**
   * The weight of one item (e.g. its size in bytes), used with `maxBytes`. Default: none, and
   * then `maxBytes` must stay unset.
   */
  weight?: (item: T) => number;
  /**
   * A batch closes when its total weight reaches this; an item that would push a non-empty
   * batch over it opens the next batch instead (so a batch exceeds it only when a single item
   * does). Default `Infinity`.
   */
  maxBytes?: number;
  /**
   * A batch of a source with `nextReady()` also closes when that has nothing ready and the
   * batch's weight (its item count without `weight`) is at least this. Default `Infinity` (off).
   */
  drainedAt?: number;
  /** Yield `[]` for an interval that saw no item. Default `false` (empty intervals are silent). */
  emitEmpty?: boolean;
  /** Stops the batcher: the partial batch is yielded, then iteration ends. Default: none. */
  signal?: AbortSignal;
  /** Clock and timers (injected so tests run on fake time). Default: the system clock. */
  clock?: Clock;
}

type Pulled<T> =
  | { kind: "item"; result: IteratorResult<T> }
  | { kind: "error"; error: unknown };

type Wake = "pulled" | "timer" | "abort";

/**
 * Groups the items of an async source into batches by time, count and weight.
 * Iterable once; dispose it (`await using`) or abort its signal to stop it.
 *
 * ```ts
 * await using batcher = new MicroBatcher(consumer, { triggerMs: 1000, maxEvents: 50_000 });
 * for await (const batch of batcher) train(batch);
 * ```
 */
export class MicroBatcher<T> implements AsyncIterable<T[]>, AsyncDisposable {
  readonly #source: AsyncIterable<T>;
  readonly #triggerMs: number;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #weight: ((item: T) => number) | null;
  readonly #emitEmpty: boolean;
  readonly #drainedAt: number;
  readonly #clock: Clock;
  readonly #stop = new AbortController();
  readonly #userSignal: AbortSignal | null;
  #stopped = false; // set by either signal's `abort` (see `#aborted`)
  #generator: AsyncGenerator<T[], void, undefined> | null = null;
  #wake: ((why: Wake) => void) | null = null;
  #lastClose: BatchCloseReason | null = null;
  #batches = 0;
  /** What the input cost the batches: closes by reason, waits ({@linkcode BatchInputStats}). */
  readonly input: BatchInputStats = new BatchInputStats();

  /**
   * Creates a batcher over `source`. Throws `RangeError` for a non-positive trigger or limit and
   * `TypeError` when `maxBytes` is set without `weight` or when no trigger can close a batch.
   */
  constructor(source: AsyncIterable<T>, options: MicroBatcherOptions<T> = {}) {
    const triggerMs = options.triggerMs ?? 1000;
    const maxEvents = options.maxEvents ?? Infinity;
    const maxBytes = options.maxBytes ?? Infinity;
    if (!(triggerMs > 0)) {
      throw new RangeError(`MicroBatcher needs triggerMs > 0, got ${triggerMs}`);
    }
    if (!(maxEvents >= 1) || (Number.isFinite(maxEvents) && !Number.isInteger(maxEvents))) {
      throw new RangeError(`MicroBatcher needs maxEvents to be an integer >= 1, got ${maxEvents}`);
    }
    if (!(maxBytes > 0)) {
      throw new RangeError(`MicroBatcher needs maxBytes > 0, got ${maxBytes}`);
    }
    const drainedAt = options.drainedAt ?? Infinity;
    if (!(drainedAt > 0)) {
      throw new RangeError(`MicroBatcher needs drainedAt > 0, got ${drainedAt}`);
    }
    if (Number.isFinite(maxBytes) && options.weight === undefined) {
      throw new TypeError(`MicroBatcher needs a weight function to apply maxBytes ${maxBytes}`);
    }
    if (!Number.isFinite(triggerMs) && !Number.isFinite(maxEvents) && !Number.isFinite(maxBytes)) {
      throw new TypeError(
        "MicroBatcher needs a trigger: a finite triggerMs, maxEvents or maxBytes",
      );
    }
    this.#source = source;
    this.#triggerMs = triggerMs;
    this.#maxEvents = maxEvents;
    this.#maxBytes = maxBytes;
    this.#weight = options.weight ?? null;
    this.#emitEmpty = options.emitEmpty ?? false;
    this.#drainedAt = drainedAt;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#userSignal = options.signal ?? null;
  }

  /** Why the most recent batch closed, or `null` before the first. */
  get lastClose(): BatchCloseReason | null {
    return this.#lastClose;
  }

  /** Batches yielded so far (empty ones included). */
  get batches(): number {
    return this.#batches;
  }

  /** Returns the iterator of batches. Throws `TypeError` when called a second time. */
  [Symbol.asyncIterator](): AsyncIterator<T[]> {
    if (this.#generator !== null) {
      throw new TypeError("MicroBatcher can be iterated only once");
    }
    this.#generator = this.#run();
    return this.#generator;
  }

  /**
   * Stops the batcher: a caller waiting for a batch gets the partial one (if any), the source's
   * `return()` is called, and iteration ends.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#stop.abort();
    this.#wake?.("abort");
    if (this.#generator !== null) await this.#generator.return();
  }

  /** Either signal aborted: a flag (their getters' brand checks per item were ~2% of `train`). */
  #aborted(): boolean {
    return this.#stopped;
  }

  async *#run(): AsyncGenerator<T[], void, undefined> {
    const iterator = this.#source[Symbol.asyncIterator]();
    const ready = isReadyIterator(iterator) ? iterator : null;
    const clock = this.#clock;
    const onAbort = () => {
      this.#stopped = true;
      this.#wake?.("abort");
    };
    if (this.#stop.signal.aborted || this.#userSignal?.aborted) this.#stopped = true;
    this.#stop.signal.addEventListener("abort", onAbort, { once: true });
    this.#userSignal?.addEventListener("abort", onAbort, { once: true });
    // The one source.next() in flight, wrapped so it never rejects; kept across batches.
    let pending: Promise<Pulled<T>> | null = null;
    // Its settled value, once it arrived and is not yet in a batch.
    let arrived: Pulled<T> | null = null;
    let carry: { item: T } | null = null;
    // Read through functions: `arrived` and `carry` are also set in callbacks, which the
    // compiler's narrowing does not see.
    const arrivedNow = (): Pulled<T> | null => arrived;
    const carryNow = (): { item: T } | null => carry;
    let sourceFinished = false;
    let timer: unknown = null;
    const pull = (): Promise<Pulled<T>> => {
      let next: Promise<IteratorResult<T>>;
      try {
        next = iterator.next();
      } catch (error) {
        next = Promise.reject(error);
      }
      const p = next.then(
        (result): Pulled<T> => ({ kind: "item", result }),
        (error: unknown): Pulled<T> => ({ kind: "error", error }),
      );
      p.then((value) => {
        if (pending === p) {
          arrived = value;
          this.#wake?.("pulled");
        }
      });
      return p;
    };
    try {
      while (true) {
        const batch: T[] = [];
        let weight = 0;
        let failure: { error: unknown } | null = null;
        // Adds an item; returns why the batch must close now, or null.
        const add = (item: T): BatchCloseReason | null => {
          const w = this.#weight === null ? 0 : this.#weight(item);
          if (batch.length > 0 && weight + w > this.#maxBytes) {
            carry = { item };
            return "max_bytes";
          }
          batch.push(item);
          weight += this.#weight === null ? 1 : w;
          if (batch.length >= this.#maxEvents) return "max_events";
          if (weight >= this.#maxBytes) return "max_bytes";
          return null;
        };
        let reason: BatchCloseReason | null = null;
        const carried = carryNow();
        if (carried !== null) {
          const { item } = carried;
          carry = null;
          reason = add(item);
        }
        const deadline = clock.now() + this.#triggerMs;
        let timerFired = false;
        if (reason === null && Number.isFinite(this.#triggerMs)) {
          timer = clock.setTimeout(() => {
            timerFired = true;
            this.#wake?.("timer");
          }, this.#triggerMs);
        }
        const intervalOver = () => timerFired || clock.now() >= deadline;
        while (reason === null) {
          const got = arrivedNow();
          if (got !== null) {
            arrived = null;
            pending = null;
            if (got.kind === "error") {
              sourceFinished = true;
              failure = { error: got.error };
              reason = "error";
            } else if (got.result.done) {
              sourceFinished = true;
              reason = "end";
            } else {
              // A source that always has an item ready never lets the timer's macrotask run:
              // check the clock as well.
              reason = add(got.result.value) ??
                (intervalOver() ? "interval" : this.#aborted() ? "abort" : null);
            }
          } else if (this.#aborted()) {
            reason = "abort";
          } else if (intervalOver()) {
            reason = "interval";
          } else {
            if (pending === null && ready !== null) {
              // No next() in flight: take the items already there, in a row, reading the clock
              // once every READY_ITEMS_PER_CLOCK_READ of them and once after the run (at the top
              // of the loop), not per item.
              let taken = 0;
              while (reason === null) {
                let result: IteratorResult<T> | undefined;
                try {
                  result = ready.nextReady();
                } catch (error) {
                  arrived = { kind: "error", error };
                  break;
                }
                if (result === undefined) {
                  // The source's buffer is drained (the consumer fetches again now): close a
                  // batch that holds enough rather than wait for the fetch with it.
                  if (batch.length > 0 && weight >= this.#drainedAt) reason = "drained";
                  break;
                }
                taken++;
                if (result.done) {
                  sourceFinished = true;
                  reason = "end";
                } else {
                  reason = add(result.value) ??
                    (taken % READY_ITEMS_PER_CLOCK_READ === 0 && intervalOver()
                      ? "interval"
                      : this.#aborted()
                      ? "abort"
                      : null);
                }
              }
              if (reason !== null || taken > 0 || arrivedNow() !== null) continue;
            }
            if (pending === null) pending = pull();
            const waitStart = clock.now();
            await new Promise<Wake>((resolve) => (this.#wake = resolve));
            this.#wake = null;
            this.input.waited(waitStart, clock.now(), batch.length > 0);
          }
        }
        if (timer !== null) {
          clock.clearTimeout(timer);
          timer = null;
        }
        if (batch.length > 0 || (reason === "interval" && this.#emitEmpty)) {
          this.#close(reason);
          yield batch;
        }
        if (failure !== null) throw failure.error;
        if (reason === "end") return;
        if (reason === "abort" || this.#aborted()) {
          // Whatever was read but not handed out (an item carried over by maxBytes, or one that
          // arrived while the caller worked) goes out with the last batch.
          const last: T[] = [];
          const carried = carryNow();
          if (carried !== null) last.push(carried.item);
          const got = arrivedNow();
          if (got !== null && got.kind === "item" && !got.result.done) {
            last.push(got.result.value);
            arrived = null;
            pending = null;
          }
          carry = null;
          if (last.length > 0) {
            this.#close("abort");
            yield last;
          }
          return;
        }
      }
    } finally {
      if (timer !== null) clock.clearTimeout(timer);
      this.#userSignal?.removeEventListener("abort", onAbort);
      this.#stop.signal.removeEventListener("abort", onAbort);
      this.#wake = null;
      if (!sourceFinished && typeof iterator.return === "function") {
        if (pending !== null && arrivedNow() === null) {
          // A next() is in flight: an async generator would queue return() behind it, so do not
          // wait for it.
          iterator.return().catch(() => {});
        } else {
          await iterator.return();
        }
      }
    }
  }

  #close(reason: BatchCloseReason): void {
    this.#lastClose = reason;
    this.#batches++;
    this.input.closed(reason);
  }
}
