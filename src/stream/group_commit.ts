/**
 * Commits group offsets for lag monitoring only — the checkpoint is the truth. A commit that
 * fails while the broker is away is reported once (and its recovery once), never thrown: the
 * checkpoint holds the offsets, and the next batch's commit tries again.
 *
 * The offsets of a commit that went through are kept, and the same offsets again (the usual case
 * between two checkpoints: a loop with checkpoints commits only what a checkpoint covers) are sent
 * again only once `resendMs` has passed since: each such commit was a round trip to the group
 * coordinator that the batch loop waited for, after every batch (`learn`'s main thread was idle
 * for it). They are still sent now and then because a commit can "go through" without reaching
 * the broker: kafkajs' `commitOffsets` returns without committing while its runner is not running
 * (after a crash, until the restarted member has joined), so the same offsets must come again;
 * and a clean stop's last commit (`force`) is always sent.
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
  /** The offsets of the last commit that went through, as {@linkcode offsetsKey} gives them. */
  #committed: string | null = null;
  /** When that commit was sent (`now()`). */
  #committedAt = 0;
  #log: (line: string) => void;
  #resendMs: number;
  #now: () => number;

  /**
   * Creates a committer that commits nothing until a consumer is attached.
   *
   * @param log report lines (default: none)
   * @param options `resendMs`: the same offsets as the last commit's are sent again only this
   *   long after it; `now`: the clock, in ms
   * @default {options.resendMs} 5000
   * @default {options.now} `performance.now`
   */
  constructor(
    log: (line: string) => void = () => {},
    options: { resendMs?: number; now?: () => number } = {},
  ) {
    this.#log = log;
    this.#resendMs = options.resendMs ?? 5000;
    if (!(this.#resendMs >= 0)) {
      throw new RangeError(`resendMs must be a number of ms ≥ 0, got ${options.resendMs}`);
    }
    this.#now = options.now ?? (() => performance.now());
  }

  /** Sets the consumer to commit through; commits before it wait for it. */
  attach(target: CommitPort): void {
    this.#target.resolve(target);
  }

  /** Whether the last commit failed. */
  get failing(): boolean {
    return this.#failing;
  }

  /**
   * Commits `offsets`, unless they are those of the last commit that went through, less than
   * `resendMs` ago, and `force` is not set (a clean stop's last commit is always sent); resolves
   * whether or not the commit went through (see the module documentation).
   */
  async commit(offsets: readonly TopicOffset[], options: { force?: boolean } = {}): Promise<void> {
    const key = offsetsKey(offsets);
    const now = this.#now();
    if (
      !options.force && key === this.#committed && now - this.#committedAt < this.#resendMs
    ) return;
    try {
      await (await this.#target.promise).commit(offsets);
      this.#committed = key;
      this.#committedAt = now;
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
      this.#committed = null;
    }
  }
}

/** The offsets as one string: equal for the same topics, partitions and offsets in one order. */
function offsetsKey(offsets: readonly TopicOffset[]): string {
  let key = "";
  for (const o of offsets) key += `${o.topic}\u0000${o.partition}\u0000${o.offset}\u0001`;
  return key;
}
