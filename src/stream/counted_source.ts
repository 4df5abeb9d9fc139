/**
 * A source of items that counts what it has handed out: its {@linkcode CountedSource.count} is
 * the stream position of the next item. `featurize` wraps its consumer in one, so that a new
 * assignment, which arrives between two items, can say where in the stream it took effect:
 * items before that position were delivered under the assignment before it.
 *
 * Keeps `nextReady()` ({@linkcode ReadyIterator}) when the source has it.
 *
 * @module
 */

import { isReadyIterator, type ReadyIterator } from "../util/ready_iterator.ts";

/** See the module documentation. Iterate it from one loop at a time. */
export class CountedSource<T> implements AsyncIterable<T> {
  #source: AsyncIterable<T>;
  #count = 0;

  /**
   * Creates a counter of `source`'s items, at 0.
   *
   * @param source the items to count
   */
  constructor(source: AsyncIterable<T>) {
    this.#source = source;
  }

  /** Items handed out so far: the position of the next one. */
  get count(): number {
    return this.#count;
  }

  /** Iterates the source's items, counting each. */
  [Symbol.asyncIterator](): ReadyIterator<T> {
    const inner = this.#source[Symbol.asyncIterator]();
    const counted = (result: IteratorResult<T>) => {
      if (!result.done) this.#count++;
      return result;
    };
    return {
      next: async () => counted(await inner.next()),
      nextReady: () => {
        if (!isReadyIterator(inner)) return undefined;
        const result = inner.nextReady();
        return result === undefined ? undefined : counted(result);
      },
      return: async (value?: unknown) =>
        inner.return ? await inner.return(value) : { done: true, value: undefined },
    };
  }
}
