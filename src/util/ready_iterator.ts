/**
 * An async iterator that can also hand out an item it already holds without a promise: the
 * Kafka consumer's records arrive a fetch at a time (thousands at once), and a reader that takes
 * them one `await` each spends more time in promise machinery than in its own work. The
 * micro-batcher uses `nextReady()` while it returns items and falls back to `next()` to wait.
 *
 * @module
 */

/** An `AsyncIterator` with a synchronous look at what is already there. */
export interface ReadyIterator<T> extends AsyncIterator<T> {
  /**
   * The next item (or the end) if it is there now, exactly as `next()` would have resolved;
   * `undefined` when getting it means waiting (or an error is pending): then call `next()`. The
   * result may be one object reused by every call (the Kafka consumer's is): read it before the
   * next call, and keep its `value`, not the result.
   */
  nextReady(): IteratorResult<T> | undefined;
}

/** Whether `iterator` has a `nextReady()`. */
export function isReadyIterator<T>(iterator: AsyncIterator<T>): iterator is ReadyIterator<T> {
  return typeof (iterator as Partial<ReadyIterator<T>>).nextReady === "function";
}
