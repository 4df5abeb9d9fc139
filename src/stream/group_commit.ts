/**
 * Commits group offsets for lag monitoring only — the checkpoint is the truth. A commit that
 * fails while the broker is away is reported once (and its recovery once), never thrown: the
 * checkpoint holds the offsets, and the next batch's commit tries again.
 *
 * @module
 */

import type { TopicOffset } from "./seek_rule.ts";

/** Where offsets are committed (`ReconnectingConsumer` fits). */
export interface CommitPort {
  /** Commits the offsets to the group. */
  commit(offsets: readonly TopicOffset[]): Promise<void>;
}

/** See the module documentation. */
export class GroupCommitter {
  #target = Promise.withResolvers<CommitPort>();
  #failing = false;
  #log: (line: string) => void;

  /**
   * Creates a committer that commits nothing until a consumer is attached.
   *
   * @param log report lines (default: none)
   */
  constructor(log: (line: string) => void = () => {}) {
    this.#log = log;
  }

  /** Sets the consumer to commit through; commits before it wait for it. */
  attach(target: CommitPort): void {
    this.#target.resolve(target);
  }

  /** Whether the last commit failed. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Commits `offsets`; resolves whether or not the commit went through (see the module doc). */
  async commit(offsets: readonly TopicOffset[]): Promise<void> {
    try {
      await (await this.#target.promise).commit(offsets);
      if (this.#failing) this.#log("committing group offsets works again");
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        this.#log(
          `warning: committing group offsets failed (${
            (error as Error).message
          }); the checkpoint holds the offsets, the next batch commits again`,
        );
      }
      this.#failing = true;
    }
  }
}
